// The recipes of docs/contributing.md, followed on temporary copies of the workspace: a fourth environment
// is one folder, and a seventh service is one catalog entry plus one line per environment. Each result
// generates, validates with 0 errors, and shows up where the recipe says.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterProvidesFile, environments, generate, repoRoot, subtrees } from '@neurascale/core';
import { kustomizeBuild, parseDocuments, validatePaths } from '@neurascale/validation';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodes } from '../src/nx-environments.ts';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function workspaceCopy(...paths: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'recipe-'));
  roots.push(root);
  for (const path of ['overlays', ...paths])
    cpSync(join(repoRoot, path), join(root, path), { recursive: true });
  return root;
}

function editJson(file: string, edit: (value: Record<string, any>) => void): void {
  const value = JSON.parse(readFileSync(file, 'utf8'));
  edit(value);
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** An overlay's error findings, resolved against the cluster-provides.yaml generated beside it. */
const errorsOf = (dir: string) =>
  validatePaths([dir], {
    provided: [join(dir, clusterProvidesFile)],
    ruleTests: [join(dir, 'monitoring', 'rule-tests')],
  }).findings.filter((f) => f.severity === 'error');

describe('recipe: add an environment', () => {
  it('a fourth environment is one folder: it generates, validates, and gets its Nx project', () => {
    const root = workspaceCopy();
    cpSync(join(root, 'overlays', 'staging'), join(root, 'overlays', 'qa'), { recursive: true });
    editJson(join(root, 'overlays', 'qa', 'env.json'), (c) => {
      c.environment = 'qa';
    });
    expect(environments(root)).toEqual(['dev', 'production', 'qa', 'staging']);

    const out = join(root, 'generated');
    const manifests = subtrees(root).filter((s) => s !== 'env-schema');
    generate({ out, only: manifests, check: false, root });
    expect(validatePaths([join(out, 'overlays', 'qa')]).objects).toBeGreaterThan(40);
    expect(errorsOf(join(out, 'overlays', 'qa'))).toEqual([]);

    const [pattern, create] = createNodes;
    expect(pattern).toBe('overlays/*/env.json');
    const files = environments(root).map((env) => `overlays/${env}/env.json`);
    const results = create(files, undefined, { nxJsonConfiguration: {}, workspaceRoot: root });
    const qa = (results as [string, { projects: Record<string, any> }][]).find(([f]) => f.includes('/qa/'));
    expect(qa?.[1].projects['overlays/qa']).toMatchObject({
      name: 'qa',
      targets: {
        generate: { options: { command: 'generate-manifests --only qa' } },
        validate: {
          options: {
            command:
              'validate-manifests generated/overlays/qa --provided generated/overlays/qa/cluster-provides.yaml ' +
              '--rule-tests generated/overlays/qa/monitoring/rule-tests --cost generated/overlays/qa/cost-model.yaml ' +
              '--overrides policies/overrides.json',
          },
        },
        cost: { options: { command: 'cost-report generated/overlays/qa' } },
        'validate-server': { options: { command: 'validate-server generated/overlays/qa' } },
      },
    });
  });

  it('refuses a folder name that cannot be an environment, naming the folder and the fix', () => {
    const root = workspaceCopy();
    cpSync(join(root, 'overlays', 'dev'), join(root, 'overlays', 'QA_1'), { recursive: true });
    expect(() => environments(root)).toThrow(
      /overlays\/QA_1\/env\.json: "QA_1" cannot name an environment.*rename the folder/,
    );
  });
});

const seventh = `  {
    name: 'session-recorder',
    description: 'Records BCI sessions for later analysis',
    component: 'recorder',
    kind: 'Deployment',
    imageRepository: 'session-recorder',
    ports: [{ name: 'http', containerPort: 8080, servicePort: 80, appProtocol: 'http' }],
    health: defaultHealth,
    shutdownSeconds: 30,
    env: {},
    configMountPath: '/app/config',
    secretKeys: ['database-url'],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    replicas: 2,
    vertical: { minAllowed: { cpu: '50m', memory: '64Mi' }, maxAllowed: { cpu: '1', memory: '1Gi' } },
    priority: 'standard',
    scratch: [tmp],
    gpuCapable: false,
    calls: [{ service: 'device-manager', port: 'http' }],
    dataStores: ['kafka'],
    public: false,
    requests: { timeout: '10s', retries: 1 },
    telemetry: httpTelemetry('http', [availability(99.5)]),
  },
`;

describe('recipe: add a service', () => {
  it('a seventh catalog entry plus one line per env.json generates, validates and appears in every environment', () => {
    const root = workspaceCopy('packages/core');
    symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
    const catalog = join(root, 'packages', 'core', 'src', 'catalog.ts');
    const source = readFileSync(catalog, 'utf8');
    const withType = source.replace("  | 'mcp-server';", "  | 'mcp-server'\n  | 'session-recorder';");
    const withEntry = withType.replace(
      '\n];\n\nexport function serviceByName',
      `\n${seventh}];\n\nexport function serviceByName`,
    );
    expect(withEntry).not.toBe(withType);
    writeFileSync(catalog, withEntry);
    for (const env of environments(root)) {
      editJson(join(root, 'overlays', env, 'env.json'), (c) => {
        c.services['session-recorder'] = { tag: c.services['device-manager'].tag, replicas: 2 };
      });
    }

    const run = spawnSync(process.execPath, [join(root, 'packages', 'core', 'src', 'bin', 'generate.ts')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);

    const folder = join(root, 'generated', 'base', 'neural-engine', 'session-recorder');
    expect(readFileSync(join(folder, 'kustomization.yaml'), 'utf8')).toContain(
      'deployment-session-recorder.yaml',
    );
    for (const env of environments(root)) {
      const dir = join(root, 'generated', 'overlays', env);
      expect(errorsOf(dir), env).toEqual([]);
      const { docs } = parseDocuments(kustomizeBuild(dir), env);
      const kinds = docs.filter((d) => d.ref.name?.startsWith('session-recorder')).map((d) => d.ref.kind);
      expect(kinds.sort(), env).toEqual(
        expect.arrayContaining([
          'ConfigMap',
          'Deployment',
          'NetworkPolicy',
          'PodDisruptionBudget',
          'Service',
        ]),
      );
      // Observability by being catalogued: its dashboard, and its objective's rules with their tests.
      const names = docs.map((d) => d.ref.name);
      expect(names, env).toEqual(
        expect.arrayContaining([
          'grafana-dashboard-neural-engine-session-recorder',
          'neural-engine-slo-session-recorder',
        ]),
      );
      expect(existsSync(join(dir, 'monitoring', 'rule-tests', 'slo-session-recorder.yaml')), env).toBe(true);
    }
  });
});
