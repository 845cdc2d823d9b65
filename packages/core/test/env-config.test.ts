import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvConfigError, parseEnvConfig } from '../src/env-config.ts';
import { envConfigPath, environments } from '../src/environments.ts';
import { envSchemaFile, renderEnvSchema, repoRoot } from '../src/generate.ts';

const devText = readFileSync(envConfigPath('dev', repoRoot), 'utf8');
const file = 'overlays/dev/env.json';

function problemsOf(mutate: (c: any) => void, expected: 'dev' | undefined = 'dev'): string[] {
  const config = JSON.parse(devText);
  mutate(config);
  try {
    parseEnvConfig(file, JSON.stringify(config), expected);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvConfigError);
    expect((error as EnvConfigError).message).toContain(file);
    return (error as EnvConfigError).problems;
  }
  return [];
}

describe('environment config', () => {
  it.each(environments(repoRoot))('the committed %s config is valid and names the editor schema', (env) => {
    const text = readFileSync(envConfigPath(env, repoRoot), 'utf8');
    expect(() => parseEnvConfig(`overlays/${env}/env.json`, text, env)).not.toThrow();
    expect(JSON.parse(text).$schema).toBe('../env.schema.json');
  });

  it('the committed editor schema is the one ajv checks against (overlays/env.schema.json)', () => {
    expect(readFileSync(envSchemaFile(), 'utf8')).toBe(renderEnvSchema());
  });

  it('names the path and the allowed values of a bad enum', () => {
    expect(problemsOf((c) => (c.logLevel = 'verbose'))).toEqual([
      '/logLevel: must be one of "debug", "info", "warn", "error"',
    ]);
  });

  it('rejects a moving image tag such as latest', () => {
    const [problem] = problemsOf((c) => (c.services['api-gateway'].tag = 'latest'));
    expect(problem).toBe(
      '/services/api-gateway/tag: "latest" is not valid: expected a release version such as 1.4.2',
    );
  });

  it('rejects a misspelled field and lists the allowed ones', () => {
    const [problem] = problemsOf(
      (c) => (c.services['api-gateway'].autoscalling = { minReplicas: 1, maxReplicas: 2 }),
    );
    expect(problem).toMatch(
      /^\/services\/api-gateway: unknown field "autoscalling" \(allowed: tag, resources, autoscaling, vpa\)$/,
    );
  });

  it('refuses replicas for a service that an HPA scales, and a GPU for one that cannot use it', () => {
    expect(problemsOf((c) => (c.services['api-gateway'].replicas = 3))[0]).toContain(
      'unknown field "replicas"',
    );
    expect(problemsOf((c) => (c.services['mcp-server'].gpu = true))[0]).toContain('unknown field "gpu"');
  });

  it('requires every catalog service', () => {
    expect(problemsOf((c) => delete c.services.websocket)).toEqual([
      '/services: missing required field "websocket"',
    ]);
  });

  it('checks that minReplicas does not exceed maxReplicas', () => {
    expect(
      problemsOf((c) => (c.services.websocket.autoscaling = { minReplicas: 5, maxReplicas: 2 })),
    ).toEqual(['/services/websocket/autoscaling: minReplicas (5) must not exceed maxReplicas (2)']);
  });

  it('checks resource quantities', () => {
    const [problem] = problemsOf((c) => (c.services['ml-pipeline'].resources.limits.memory = '4GB'));
    expect(problem).toBe(
      '/services/ml-pipeline/resources/limits/memory: "4GB" is not valid: expected e.g. 512Mi',
    );
  });

  it('refuses a config that names another environment', () => {
    expect(problemsOf((c) => (c.environment = 'staging'))).toEqual([
      '/environment: is "staging" but the file belongs to environment "dev"',
    ]);
  });

  it('reports invalid JSON with the file', () => {
    expect(() => parseEnvConfig(file, '{ "environment": ', 'dev')).toThrow(
      /overlays\/dev\/env.json: invalid environment config\n {2}- not valid JSON/,
    );
  });
});
