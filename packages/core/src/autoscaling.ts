// HorizontalPodAutoscalers for the services whose catalog entry scales. Scale up fast, scale down
// slowly: a brief dip in load must not shed capacity that a recording session is about to need.
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IMetricSpec } from 'kubernetes-models/autoscaling/v2/MetricSpec';
import type { AutoscalingSpec, ServiceSpec } from './catalog.ts';
import { serviceLabels } from './labels.ts';
import { podRateMetric } from './observability/adapter.ts';
import { platform } from './platform.ts';

function utilization(name: 'cpu' | 'memory', averageUtilization: number): IMetricSpec {
  return { type: 'Resource', resource: { name, target: { type: 'Utilization', averageUtilization } } };
}

/** A per-pod rate from the custom metrics API, which prometheus-adapter serves (observability/adapter.ts). */
function podRate(counter: string, averageValue: number): IMetricSpec {
  return {
    type: 'Pods',
    pods: {
      metric: { name: podRateMetric(counter) },
      target: { type: 'AverageValue', averageValue: String(averageValue) },
    },
  };
}

export function buildAutoscaler(spec: ServiceSpec): HorizontalPodAutoscaler | undefined {
  const scaling: AutoscalingSpec | undefined = spec.autoscaling;
  if (!scaling) return undefined;
  return new HorizontalPodAutoscaler({
    metadata: { name: spec.name, namespace: platform.appNamespace, labels: serviceLabels(spec) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: spec.kind, name: spec.name },
      minReplicas: scaling.minReplicas,
      maxReplicas: scaling.maxReplicas,
      metrics: [
        utilization('cpu', scaling.cpuUtilization),
        ...(scaling.memoryUtilization ? [utilization('memory', scaling.memoryUtilization)] : []),
        ...(scaling.podRate ? [podRate(scaling.podRate.counter, scaling.podRate.averageValue)] : []),
      ],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 60,
          selectPolicy: 'Max',
          policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }],
        },
        scaleDown: {
          stabilizationWindowSeconds: 300,
          selectPolicy: 'Min',
          policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }],
        },
      },
    },
  });
}
