// End to end with the real pinned binaries: generate into a temporary directory, render every overlay
// with kustomize, validate with kubeconform for every Kubernetes version of the matrix and with the
// Pod Security checker.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterProvidesFile, environments, generate, repoRoot, services, subtrees } from '@neurascale/core';
import { readToolVersions } from '@neurascale/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocuments } from '../src/inputs.ts';
import { kustomizeBuild } from '../src/kustomize.ts';
import { validatePaths, validateText } from '../src/validate.ts';

let out: string;
const rendered = new Map<string, string>();

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'e2e-'));
  // The manifests only: the env schema belongs to the workspace, not to an output directory.
  generate({ out, only: subtrees().filter((s) => s !== 'env-schema'), check: false });
  for (const env of environments(repoRoot)) rendered.set(env, kustomizeBuild(join(out, 'overlays', env)));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.each(environments(repoRoot))('%s overlay', (env) => {
  it('validates clean for every Kubernetes version of the matrix', () => {
    const dir = join(out, 'overlays', env);
    const result = validatePaths([dir], { provided: [join(dir, clusterProvidesFile)] });
    expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(result.objects).toBeGreaterThan(40);
  });

  it('contains every Neural Engine service with its ConfigMap hashed and its env applied', () => {
    const objects = parseDocuments(rendered.get(env) ?? '', env).docs.map((d) => d.object);
    for (const s of services) {
      const workload = objects.find((o) => o.kind === s.kind && (o.metadata as any).name === s.name) as any;
      expect(workload, `${s.kind} ${s.name}`).toBeDefined();
      const container = workload.spec.template.spec.containers[0];
      expect(container.env).toContainEqual({ name: 'ENVIRONMENT', value: env });
      const volume = workload.spec.template.spec.volumes.find((v: any) => v.name === 'config');
      expect(volume.configMap.name).toMatch(new RegExp(`^${s.name}-config-[a-z0-9]{10}$`));
      const cm = objects.find(
        (o) => o.kind === 'ConfigMap' && (o.metadata as any).name === volume.configMap.name,
      ) as any;
      expect(cm.data['application.yaml']).toContain(`consumer_group: neural-engine-${env}`);
    }
  });
});

describe('schema validation catches builder mistakes', () => {
  const stream = () => rendered.get('dev') ?? '';

  it('names the object and the field of a misspelled property', () => {
    const broken = stream().replace('imagePullPolicy: IfNotPresent', 'imagePullPolicyy: IfNotPresent');
    const provided = [join(out, 'overlays', 'dev', clusterProvidesFile)];
    const { findings } = validateText(broken, 'broken.yaml', { provided });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      source: expect.stringMatching(/^broken\.yaml:\d+$/),
      object: { kind: expect.any(String), namespace: 'neural-engine', name: expect.any(String) },
      field: 'spec.template.spec.containers[0]',
      rule: 'schema-invalid',
      severity: 'error',
    });
    expect(findings[0]?.message).toContain('imagePullPolicyy');
    expect(findings[0]?.message).not.toContain('Kubernetes'); // the same in every version: reported once
  });

  it('says which versions a problem holds for when not all of them', () => {
    const [oldest, newest] = readToolVersions().kubernetes.versions;
    const claim =
      'apiVersion: resource.k8s.io/v1\nkind: ResourceClaim\nmetadata: {name: gpu, namespace: app}\nspec: {}\n';
    const missing = validateText(claim, 'claim.yaml').findings.filter((f) => f.rule === 'schema-missing');
    expect(missing.map((f) => f.message)).toEqual([
      `no schema for resource.k8s.io/v1 ResourceClaim (Kubernetes ${oldest})`,
    ]);
    expect(missing[0]?.message).not.toContain(newest);
  });

  it('rejects a value of the wrong type', () => {
    const broken = stream().replace('minReadySeconds: 10', 'minReadySeconds: ten');
    const { findings } = validateText(broken, 'broken.yaml');
    expect(findings.length).toBeGreaterThan(0);
    expect(findings[0]?.field).toBe('spec.minReadySeconds');
  });

  it('rejects an API version that the oldest Kubernetes of the matrix does not serve', () => {
    const old = readToolVersions().kubernetes.versions[0] as string;
    const psp = 'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: legacy\nspec: {}\n';
    const { findings } = validateText(psp, 'psp.yaml', { kubernetesVersions: [old] });
    expect(findings.map((f) => f.rule).sort()).toEqual(['api-removed', 'schema-missing']);
    for (const f of findings) expect(f.object).toMatchObject({ kind: 'PodSecurityPolicy', name: 'legacy' });
  });
});

describe('pod security in the rendered stream', () => {
  it('fails a privileged container in the restricted app namespace', () => {
    const broken = (rendered.get('dev') ?? '').replace('privileged: false', 'privileged: true');
    const pss = validateText(broken, 'broken.yaml').findings.filter((f) => f.rule.startsWith('pss'));
    expect(pss).toHaveLength(1);
    // privileged is a baseline control, which the restricted namespace enforces too.
    expect(pss[0]).toMatchObject({
      rule: 'pss-baseline',
      field: 'spec.template.spec.containers[0].securityContext.privileged',
      fix: expect.stringMatching(/^Remove securityContext\.privileged/),
    });
  });
});

/**
 * What no committed environment switches on renders and validates too: an environment derived from
 * production with every optional platform item on (a self-managed cluster-autoscaler, ...), generated into
 * a scratch workspace through the same builders and validated with every offline engine.
 */
describe('platform items no committed environment switches on', () => {
  let root: string;
  let dir: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'variant-'));
    const config = JSON.parse(readFileSync(join(repoRoot, 'overlays', 'production', 'env.json'), 'utf8'));
    config.environment = 'variant';
    config.cluster.autoscaler = {
      type: 'self-managed',
      version: 'v1.33.0',
      cloudProvider: 'gce',
      nodeGroupAutoDiscovery: ['mig:namePrefix=neural-engine-variant-,min=1,max=10'],
      expanderPriorities: [
        { priority: 50, nodeGroups: ['.*-spot-.*'] },
        { priority: 10, nodeGroups: ['.*-standard-.*'] },
        { priority: 1, nodeGroups: ['.*-gpu-.*'] },
      ],
    };
    mkdirSync(join(root, 'overlays', 'variant'), { recursive: true });
    writeFileSync(join(root, 'overlays', 'variant', 'env.json'), JSON.stringify(config));
    generate({ root, out: join(root, 'generated'), only: ['base', 'components', 'variant'], check: false });
    dir = join(root, 'generated', 'overlays', 'variant');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('validates clean, the self-managed cluster-autoscaler included', () => {
    const result = validatePaths([dir], { provided: [join(dir, clusterProvidesFile)] });
    expect(result.findings).toEqual([]);
    const objects = parseDocuments(kustomizeBuild(dir), 'variant').docs.map((d) => d.ref);
    expect(objects).toContainEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'kube-system',
      name: 'cluster-autoscaler',
    });
    expect(objects).toContainEqual(
      expect.objectContaining({ kind: 'ConfigMap', name: 'cluster-autoscaler-priority-expander' }),
    );
  });
});
