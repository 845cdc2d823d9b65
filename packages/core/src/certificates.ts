// cert-manager, built per environment into the overlay's `certificates/` folder: the ClusterIssuers the
// environment may use and the Certificate whose Secret the Gateway's HTTPS listeners present. Public hosts
// get Let's Encrypt certificates through DNS-01 on Cloud DNS (cert-manager's identity on GKE is Workload
// Identity, so no key Secret; DNS-01 needs no port-80 route through the locked-down Gateway and can issue
// wildcards). Only dev, whose hosts nobody outside trusts anyway, signs its own.
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer';
import type { CertificatesConfig, EnvConfig } from './env-config.ts';
import { gatewayProxy } from './gateway.ts';
import { tierLabels } from './labels.ts';
import { platform } from './platform.ts';
import type { KubeObject } from './resource-set.ts';

export const acmeDirectories = {
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
  'letsencrypt-production': 'https://acme-v02.api.letsencrypt.org/directory',
} as const;

/** Let's Encrypt certificates live 90 days; renewing 30 days ahead leaves a month to notice a failure. */
export const certificateLifetime = { duration: '2160h', renewBefore: '720h' } as const;

export function buildClusterIssuers(config: CertificatesConfig): ClusterIssuer[] {
  const labels = tierLabels('certificates');
  if (config.issuer === 'self-signed') {
    return [new ClusterIssuer({ metadata: { name: 'self-signed', labels }, spec: { selfSigned: {} } })];
  }
  // Both ACME issuers where one is used: staging proves an issuance path without production rate limits.
  return (Object.keys(acmeDirectories) as (keyof typeof acmeDirectories)[]).map(
    (name) =>
      new ClusterIssuer({
        metadata: { name, labels },
        spec: {
          acme: {
            server: acmeDirectories[name],
            email: config.email,
            privateKeySecretRef: { name: `${name}-account-key` },
            solvers: [{ dns01: { cloudDNS: { project: config.dnsProject } } }],
          },
        },
      }),
  );
}

export function buildGatewayCertificate(env: EnvConfig): Certificate {
  return new Certificate({
    metadata: {
      name: platform.gateway.tlsSecret,
      namespace: gatewayProxy(env).namespace,
      labels: tierLabels('certificates'),
    },
    spec: {
      secretName: platform.gateway.tlsSecret,
      dnsNames: [...env.traffic.hosts],
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: env.traffic.certificates.issuer },
      ...certificateLifetime,
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
    },
  });
}

export function certificateObjects(env: EnvConfig): KubeObject[] {
  return [...buildClusterIssuers(env.traffic.certificates), buildGatewayCertificate(env)];
}
