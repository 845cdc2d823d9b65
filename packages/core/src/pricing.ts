// The cost view's inputs: a dated price table and each environment's budget, written beside the overlay as
// cost-model.yaml (not a resource of the kustomization). The validator reads it to price what the rendered
// manifests request (validation's cost.ts) and warns when an environment's minimum exceeds its budget.
import { stringify } from 'yaml';
import type { EnvConfig } from './env-config.ts';

export const costModelFile = 'cost-model.yaml';

/** Prices of what the manifests request, per unit. */
export interface PriceTable {
  /** When these prices were read; a price table without a date cannot be trusted or refreshed. */
  date: string;
  currency: 'USD';
  region: string;
  source: string;
  vcpuHour: number;
  memoryGiBHour: number;
  /** Per GPU of the resource the GPU component requests (nvidia.com/gpu: an NVIDIA L4). */
  gpuHour: number;
  storageGiBMonth: number;
}

/**
 * Planning figures, not a quote: on-demand list prices in europe-west4 for GKE Autopilot general-purpose
 * Pods (vCPU, memory), an NVIDIA L4 GPU Pod, and balanced persistent disk. Refresh them (and the date) from
 * the billing export or the price list when they drift.
 */
export const prices: PriceTable = {
  date: '2026-11-01',
  currency: 'USD',
  region: 'europe-west4',
  source:
    'Google Cloud list prices (GKE Autopilot Pods, GPU Pods, Persistent Disk balanced), on demand; planning figures',
  vcpuHour: 0.049,
  memoryGiBHour: 0.0054,
  gpuHour: 0.7,
  storageGiBMonth: 0.11,
};

export function renderCostModel(env: EnvConfig): string {
  return stringify(
    {
      apiVersion: 'validation.neurascale.io/v1',
      kind: 'CostModel',
      environment: env.environment,
      budget: env.budget,
      prices,
    },
    { lineWidth: 0 },
  );
}
