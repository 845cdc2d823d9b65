// Which tool versions are pinned (packages/toolchain/versions.json), checked with ajv.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { versionsFile } from './paths.ts';

export interface GoBinaryPin {
  module: string;
  version: string;
}

export interface CrdSourcePin {
  module: string;
  version: string;
  files: string[];
}

export interface ClusterPins {
  /** Debian packages of the end-to-end cluster's node (containerd, runc, CNI plugins, iptables, ipset). */
  debian: Record<string, string>;
  /** Go programs the cluster runs beside the node components, built with `go install`. */
  binaries: Record<'kube-router' | 'coredns' | 'prometheus', GoBinaryPin>;
  /** Libraries the control plane's Go module requires beyond Kubernetes (its images tool). */
  goModules: Record<string, string>;
}

export interface ToolVersions {
  binaries: Record<
    'kustomize' | 'kubeconform' | 'conftest' | 'kube-score' | 'istioctl' | 'promtool',
    GoBinaryPin
  >;
  kubernetes: { module: string; versions: string[] };
  crds: CrdSourcePin[];
  cluster: ClusterPins;
}

export type BinaryName = keyof ToolVersions['binaries'];

const semver = '^v[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$';
const modulePath = '^[a-z0-9.-]+(/[A-Za-z0-9._~-]+)+$|^[a-z0-9.-]+\\.[a-z]+$';
const pin = {
  type: 'object',
  additionalProperties: false,
  required: ['module', 'version'],
  properties: {
    module: { type: 'string', pattern: modulePath },
    version: { type: 'string', pattern: semver },
  },
};

const versionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['binaries', 'kubernetes', 'crds', 'cluster'],
  properties: {
    binaries: {
      type: 'object',
      additionalProperties: false,
      required: ['kustomize', 'kubeconform', 'conftest', 'kube-score', 'istioctl', 'promtool'],
      properties: {
        kustomize: pin,
        kubeconform: pin,
        conftest: pin,
        'kube-score': pin,
        istioctl: pin,
        promtool: pin,
      },
    },
    kubernetes: {
      type: 'object',
      additionalProperties: false,
      required: ['module', 'versions'],
      properties: {
        module: { const: 'k8s.io/kubernetes' },
        versions: {
          type: 'array',
          minItems: 2,
          uniqueItems: true,
          items: { type: 'string', pattern: '^v1\\.[0-9]+\\.[0-9]+$' },
        },
      },
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      required: ['debian', 'binaries', 'goModules'],
      properties: {
        debian: {
          type: 'object',
          minProperties: 1,
          additionalProperties: { type: 'string', pattern: '^[0-9]+:?[0-9A-Za-z.+~:-]*$' },
        },
        binaries: {
          type: 'object',
          additionalProperties: false,
          required: ['kube-router', 'coredns', 'prometheus'],
          properties: { 'kube-router': pin, coredns: pin, prometheus: pin },
        },
        goModules: {
          type: 'object',
          additionalProperties: { type: 'string', pattern: semver },
          propertyNames: { pattern: modulePath },
        },
      },
    },
    crds: {
      type: 'array',
      items: {
        ...pin,
        required: ['module', 'version', 'files'],
        properties: {
          ...pin.properties,
          files: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
};

const validateVersions = new Ajv({ allErrors: true }).compile<ToolVersions>(versionsSchema);

/** Parses and checks the pins; errors name the file, the JSON path and the problem. */
export function parseToolVersions(text: string, file = 'packages/toolchain/versions.json'): ToolVersions {
  const data: unknown = JSON.parse(text);
  if (!validateVersions(data)) {
    const problems = (validateVersions.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`);
    throw new Error(`${file}: invalid pins:\n  ${problems.join('\n  ')}`);
  }
  return data;
}

export function readToolVersions(): ToolVersions {
  return parseToolVersions(readFileSync(versionsFile, 'utf8'));
}

/** The stamp file beside a binary records the module@version it was built from. */
export function binaryStamp(pin: GoBinaryPin): string {
  return `${pin.module}@${pin.version}\n`;
}

/** kubeconform's -kubernetes-version takes the version without its leading "v". */
export function kubeconformVersion(version: string): string {
  return version.replace(/^v/, '');
}
