import { arr, obj, podKinds, strings } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const privilegedPort: GraphRule = {
  id: 'privileged-port',
  kinds: podKinds,
  check: (g) =>
    g.podTemplates.flatMap((pod) =>
      ['initContainers', 'containers'].flatMap((key) =>
        arr(pod.pod[key]).flatMap((c, i) => {
          // NET_BIND_SERVICE lets a non-root process bind below 1024; Pod Security allows adding it.
          const canBind = strings(obj(obj(c.securityContext).capabilities).add).includes('NET_BIND_SERVICE');
          if (canBind) return [];
          return arr(c.ports).flatMap((p, j) =>
            Number(p.containerPort) < 1024
              ? [
                  {
                    doc: pod.doc,
                    field: `${pod.podPath}.${key}[${i}].ports[${j}].containerPort`,
                    message: `container ${String(c.name)} listens on ${Number(p.containerPort)}, a privileged port a non-root process cannot bind without NET_BIND_SERVICE; listen above 1023 and map the Service port to it`,
                  },
                ]
              : [],
          );
        }),
      ),
    ),
};
