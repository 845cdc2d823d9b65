import { podKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

const hostFields = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

export const hostNamespace: GraphRule = {
  id: 'host-namespace',
  kinds: [...podKinds, 'Namespace'],
  check: (g) =>
    g.podTemplates.flatMap((pod) =>
      hostFields
        .filter((f) => pod.pod[f] === true)
        .map((f) => ({
          doc: pod.doc,
          field: `${pod.podPath}.${f}`,
          message: `shares the node's ${f.slice(4) === 'Network' ? 'network' : f.slice(4)} namespace: whatever the namespace's Pod Security level allows, the pod sees the node's ${f === 'hostNetwork' ? 'interfaces and every port on them' : f === 'hostPID' ? 'processes' : 'shared memory'}`,
        })),
    ),
};
