// The Gateway API implementation of an environment whose Gateway class is traefik, installed the way the
// platform would (Traefik's install is not part of the environment's manifests): its GatewayClass, its
// account and cluster role, one proxy pod with the labels and account the environment's policies admit,
// and the TLS Secret the environment's Certificate would make cert-manager write (no cert-manager runs
// here: the harness signs one itself).
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { platform } from '@neurascale/core';
import { arr, type Json, obj } from './json.ts';
import { clusterImages } from './paths.ts';

export const traefikControllerName = 'traefik.io/gateway-controller';
const note = { 'neurascale.io/e2e': 'created by the end-to-end harness in place of the Traefik install' };

/** The Gateways of the set that Traefik implements. */
export function traefikGateways(docs: Json[]): Json[] {
  return docs.filter(
    (d) =>
      d.kind === 'Gateway' &&
      String(d.apiVersion).startsWith('gateway.networking.k8s.io/') &&
      obj(d.spec).gatewayClassName === 'traefik',
  );
}

/** What Traefik's Gateway API provider reads and writes (its documented RBAC). */
function clusterRole(name: string): Json {
  const read = ['get', 'list', 'watch'];
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, annotations: note },
    rules: [
      { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['services', 'secrets', 'configmaps'], verbs: read },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      {
        apiGroups: ['gateway.networking.k8s.io'],
        resources: [
          'gatewayclasses',
          'gateways',
          'httproutes',
          'grpcroutes',
          'tcproutes',
          'tlsroutes',
          'referencegrants',
          'backendtlspolicies',
        ],
        verbs: read,
      },
      {
        apiGroups: ['gateway.networking.k8s.io'],
        resources: [
          'gatewayclasses/status',
          'gateways/status',
          'httproutes/status',
          'grpcroutes/status',
          'tcproutes/status',
          'tlsroutes/status',
          'backendtlspolicies/status',
        ],
        verbs: ['update'],
      },
    ],
  };
}

/** Traefik's objects for the set's traefik Gateways (none when it has none). */
export function traefikInstall(docs: Json[]): Json[] {
  if (traefikGateways(docs).length === 0) return [];
  const proxy = platform.gateway.classes.traefik;
  const name = 'neurascale-e2e-traefik';
  return [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'traefik', annotations: note },
      spec: { controllerName: traefikControllerName },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: proxy.serviceAccount, namespace: proxy.namespace, annotations: note },
    },
    clusterRole(name),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, annotations: note },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: proxy.serviceAccount, namespace: proxy.namespace }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'traefik', namespace: proxy.namespace, annotations: note },
      spec: {
        replicas: 1,
        selector: { matchLabels: { ...proxy.podLabels } },
        template: {
          metadata: { labels: { ...proxy.podLabels } },
          spec: {
            serviceAccountName: proxy.serviceAccount,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'traefik',
                image: clusterImages.traefik,
                imagePullPolicy: 'IfNotPresent',
                args: [
                  '--providers.kubernetesgateway=true',
                  `--entrypoints.web.address=:${proxy.ports.http}`,
                  `--entrypoints.websecure.address=:${proxy.ports.https}`,
                  `--entrypoints.traefik.address=:${proxy.healthPort}`,
                  '--ping=true',
                  '--ping.entrypoint=traefik',
                  '--log.level=INFO',
                  '--global.checknewversion=false',
                  '--global.sendanonymoususage=false',
                ],
                ports: [
                  { name: 'web', containerPort: proxy.ports.http },
                  { name: 'websecure', containerPort: proxy.ports.https },
                  { name: 'traefik', containerPort: proxy.healthPort },
                ],
                readinessProbe: { httpGet: { path: '/ping', port: proxy.healthPort }, periodSeconds: 2 },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              },
            ],
          },
        },
      },
    },
  ];
}

/** The TLS Secrets the set's Gateway listeners present and no object of the set writes, with their hosts. */
export function listenerSecrets(docs: Json[]): { namespace: string; name: string; hosts: string[] }[] {
  const wanted = new Map<string, { namespace: string; name: string; hosts: string[] }>();
  for (const gateway of traefikGateways(docs)) {
    const namespace = String(obj(gateway.metadata).namespace);
    for (const listener of arr(obj(gateway.spec).listeners)) {
      for (const ref of arr(obj(listener.tls).certificateRefs)) {
        const at = String(ref.namespace ?? namespace);
        const key = `${at}/${String(ref.name)}`;
        const entry = wanted.get(key) ?? { namespace: at, name: String(ref.name), hosts: [] };
        if (typeof listener.hostname === 'string' && !entry.hosts.includes(listener.hostname))
          entry.hosts.push(listener.hostname);
        wanted.set(key, entry);
      }
    }
  }
  const written = new Set(
    docs
      .filter((d) => d.kind === 'Secret')
      .map((d) => `${obj(d.metadata).namespace}/${obj(d.metadata).name}`),
  );
  return [...wanted.entries()].filter(([key]) => !written.has(key)).map(([, entry]) => entry);
}

/** Each listener Secret, signed by the harness (`double tls`) for the listener's hosts. */
export async function listenerSecretObjects(docs: Json[], double: string): Promise<Json[]> {
  const run = promisify(execFile);
  return Promise.all(
    listenerSecrets(docs)
      .filter((s) => s.hosts.length > 0)
      .map(async (secret) => {
        const { stdout } = await run(double, ['tls', ...secret.hosts]);
        const pair = JSON.parse(stdout) as { cert: string; key: string };
        return {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'kubernetes.io/tls',
          metadata: {
            name: secret.name,
            namespace: secret.namespace,
            annotations: {
              'neurascale.io/e2e': 'created by the end-to-end harness in place of cert-manager',
            },
          },
          stringData: { 'tls.crt': pair.cert, 'tls.key': pair.key },
        };
      }),
  );
}

export interface GatewayAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request to a Gateway proxy at `address`, as a client of `host` would send it: over TLS with SNI and
 * the certificate checked against `ca` (the listener's own Secret), or plain HTTP without `ca`. With
 * `upgrade`, it asks to switch to WebSocket and returns the 101 answer and what the server sent over the
 * upgraded connection until it closed.
 */
export function gatewayRequest(options: {
  address: string;
  port: number;
  host: string;
  path: string;
  ca?: string;
  upgrade?: boolean;
}): Promise<GatewayAnswer> {
  const { address, port, host, path, ca, upgrade } = options;
  const headers: Record<string, string> = { Host: host };
  if (upgrade) {
    Object.assign(headers, {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
  }
  return new Promise((resolve, reject) => {
    const common = { host: address, port, path, method: 'GET', headers, timeout: 10_000 };
    const req = ca
      ? httpsRequest({ ...common, servername: host, ca, agent: false })
      : httpRequest({ ...common, agent: false });
    const collect = (
      status: number,
      head: Record<string, string | string[] | undefined>,
      stream: NodeJS.ReadableStream,
      first = Buffer.alloc(0),
    ) => {
      const chunks: Buffer[] = [first];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () =>
        resolve({ status, headers: head, body: Buffer.concat(chunks).toString('latin1') }),
      );
      stream.on('close', () =>
        resolve({ status, headers: head, body: Buffer.concat(chunks).toString('latin1') }),
      );
      stream.on('error', reject);
    };
    req.on('upgrade', (res, socket, head) => collect(res.statusCode ?? 0, res.headers, socket, head));
    req.on('response', (res) => collect(res.statusCode ?? 0, res.headers, res));
    req.on('timeout', () => req.destroy(new Error(`no answer from ${address}:${port} within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}
