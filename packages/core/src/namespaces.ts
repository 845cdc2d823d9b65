// The application namespace, with Pod Security Admission enforcing the restricted profile (and warning
// and auditing at the same level so a violation is visible before it is enforced elsewhere).
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { tierLabels } from './labels.ts';
import { platform } from './platform.ts';

/** Pod Security Admission enforcing `level`, warning and auditing at the same level, at the latest version. */
export function podSecurityLabels(level: string): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/warn': level,
    'pod-security.kubernetes.io/warn-version': 'latest',
    'pod-security.kubernetes.io/audit': level,
    'pod-security.kubernetes.io/audit-version': 'latest',
  };
}

export function buildAppNamespace(): Namespace {
  return new Namespace({
    metadata: {
      name: platform.appNamespace,
      labels: { ...tierLabels('namespace'), ...podSecurityLabels(platform.podSecurityLevel) },
    },
  });
}
