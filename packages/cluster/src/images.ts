// Images for the cluster, written offline by the module's images tool and imported into containerd under
// exactly the names and tags the manifests use. Every Neural Engine image is the service double with the
// service's spec (from the catalog) baked in; the data stores, the pause container and a client pod are
// the double in its other modes; CoreDNS is the pinned CoreDNS binary.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DataStoreName, platform, type ServiceSpec, secretEnvNames, services } from '@neurascale/core';
import { timeouts } from '@neurascale/toolchain';
import { clusterImages, network, paths } from './paths.ts';

/** What the double reads from /double/service.json: the service as the catalog describes it. */
export interface DoubleSpec {
  service: string;
  version: string;
  ports: { name: string; port: number }[];
  live: string;
  ready: string;
  healthPort: string;
  metricsPort: string;
  config: string;
  secretEnv: string[];
  calls: { name: string; url: string }[];
  stores: { name: string; env?: string; configKey?: string }[];
  shutdownSeconds: number;
  /** The catalog's declared metrics, which the double serves on its metrics port. */
  metrics?: ServiceSpec['telemetry']['metrics'];
}

export function serviceDns(service: string, namespace: string = platform.appNamespace): string {
  return `${service}.${namespace}.svc.${network.clusterDomain}`;
}

/** Where a service finds a data store: the Secret value holding its URL, or the key of its mounted config. */
function storeAddress(store: DataStoreName): DoubleSpec['stores'][number] {
  switch (store) {
    case 'postgresql':
      return { name: store, env: secretEnvNames['database-url'] };
    case 'redis':
      return { name: store, env: secretEnvNames['redis-url'] };
    case 'kafka':
      return { name: store, configKey: 'kafka.bootstrap_servers' };
    default: {
      // A new data store in the catalog must say here how a service reaches it.
      const unknown: never = store;
      throw new Error(`the service double does not know how to reach data store "${String(unknown)}"`);
    }
  }
}

export function doubleSpec(spec: ServiceSpec, version: string): DoubleSpec {
  const port = (service: ServiceSpec, name: string) => {
    const p = service.ports.find((x) => x.name === name);
    if (!p) throw new Error(`catalog: service "${service.name}" has no port named "${name}"`);
    return p;
  };
  return {
    service: spec.name,
    version,
    ports: spec.ports.map((p) => ({ name: p.name, port: p.containerPort })),
    live: spec.health.live,
    ready: spec.health.ready,
    healthPort: spec.health.port,
    metricsPort: spec.telemetry.port,
    config: `${spec.configMountPath}/application.yaml`,
    secretEnv: spec.secretKeys.map((k) => secretEnvNames[k]),
    calls: spec.calls.map((c) => {
      const callee = services.find((s) => s.name === c.service);
      if (!callee) throw new Error(`catalog: ${spec.name} calls unknown service "${c.service}"`);
      const p = port(callee, c.port);
      return {
        name: `${c.service}/${c.port}`,
        url: `http://${serviceDns(c.service)}:${p.servicePort ?? p.containerPort}/`,
      };
    }),
    stores: spec.dataStores.map((store) => storeAddress(store)),
    shutdownSeconds: spec.shutdownSeconds,
    metrics: spec.telemetry.metrics,
  };
}

/** The catalog service an image reference stands for, and its tag. */
export function serviceOfImage(ref: string): { spec: ServiceSpec; tag: string } {
  const prefix = `${platform.imageRegistry}/`;
  const at = ref.lastIndexOf(':');
  if (!ref.startsWith(prefix) || at < prefix.length) {
    throw new Error(`image "${ref}" is not ${prefix}REPOSITORY:TAG: the cluster has no double for it`);
  }
  const repository = ref.slice(prefix.length, at);
  const spec = services.find((s) => s.imageRepository === repository);
  if (!spec) throw new Error(`image "${ref}": no catalog service has imageRepository "${repository}"`);
  return { spec, tag: ref.slice(at + 1) };
}

interface ImageFile {
  src?: string;
  content?: string;
  dst: string;
  mode: number;
}
interface ImageEntry {
  refs: string[];
  files: ImageFile[];
  entrypoint: string[];
  user: string;
  env: string[];
}

const doubleFile = (binary: string): ImageFile => ({ src: binary, dst: 'double/double', mode: 0o755 });

export function clusterImageEntries(binaries: { double: string; coredns: string }): ImageEntry[] {
  return [
    {
      refs: [clusterImages.pause],
      files: [doubleFile(binaries.double)],
      entrypoint: ['/double/double', 'pause'],
      user: '65535',
      env: [],
    },
    {
      refs: [clusterImages.store],
      files: [doubleFile(binaries.double)],
      entrypoint: ['/double/double', 'store'],
      user: '10001',
      env: [],
    },
    {
      refs: [clusterImages.client],
      files: [
        doubleFile(binaries.double),
        {
          content: JSON.stringify({
            service: 'e2e-client',
            version: 'e2e',
            ports: [{ name: 'http', port: 8080 }],
            live: '/health/live',
            ready: '/health/ready',
            healthPort: 'http',
            metricsPort: 'http',
            config: '',
            secretEnv: [],
            calls: [],
            stores: [],
            shutdownSeconds: 1,
          } satisfies DoubleSpec),
          dst: 'double/service.json',
          mode: 0o644,
        },
      ],
      entrypoint: ['/double/double', 'serve'],
      user: '10001',
      env: [],
    },
    {
      refs: [clusterImages.coredns],
      files: [{ src: binaries.coredns, dst: 'coredns', mode: 0o755 }],
      entrypoint: ['/coredns'],
      user: '65532',
      env: [],
    },
  ];
}

/** Traefik, imported when an environment's Gateway runs on it (not at every cluster start: 178 MB). */
export function traefikImageEntry(binary: string): ImageEntry {
  return {
    refs: [clusterImages.traefik],
    files: [{ src: binary, dst: 'traefik', mode: 0o755 }],
    entrypoint: ['/traefik'],
    user: '65532',
    env: [],
  };
}

/** Prometheus, imported by the suite's metrics step only (not at every cluster start). */
export function prometheusImageEntry(binary: string): ImageEntry {
  return {
    refs: [clusterImages.prometheus],
    files: [{ src: binary, dst: 'prometheus', mode: 0o755 }],
    entrypoint: ['/prometheus'],
    user: '65534',
    env: [],
  };
}

export function serviceImageEntries(refs: string[], double: string): ImageEntry[] {
  return [...new Set(refs)].sort().map((ref) => {
    const { spec, tag } = serviceOfImage(ref);
    return {
      refs: [ref],
      files: [
        doubleFile(double),
        {
          content: `${JSON.stringify(doubleSpec(spec, tag), null, 2)}\n`,
          dst: 'double/service.json',
          mode: 0o644,
        },
      ],
      entrypoint: ['/double/double', 'serve'],
      user: String(platform.runAsUser),
      env: [],
    };
  });
}

const run = promisify(execFile);

/**
 * Writes the images into one tarball and imports it into containerd's k8s.io namespace. Asynchronous, so
 * that a load generator in the same process keeps running meanwhile.
 */
export async function importImages(
  entries: ImageEntry[],
  tools: { images: string; label: string },
): Promise<void> {
  mkdirSync(paths.images, { recursive: true });
  const spec = join(paths.images, `${tools.label}.json`);
  const tar = join(paths.images, `${tools.label}.tar`);
  writeFileSync(spec, JSON.stringify({ images: entries }));
  try {
    await run(tools.images, ['-spec', spec, '-out', tar], { timeout: timeouts.goQuery });
    await run('ctr', ['--address', paths.containerdSocket, '-n', 'k8s.io', 'images', 'import', tar], {
      timeout: timeouts.goQuery,
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`importing images (${tools.label}) failed: ${e.stderr?.toString().trim() || e.message}`);
  } finally {
    rmSync(tar, { force: true });
  }
}
