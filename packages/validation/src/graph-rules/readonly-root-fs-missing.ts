import { arr, obj, podKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const readonlyRootFsMissing: GraphRule = {
  id: 'readonly-root-fs-missing',
  kinds: podKinds,
  check: (g) =>
    g.podTemplates.flatMap((pod) =>
      ['initContainers', 'containers'].flatMap((key) =>
        arr(pod.pod[key]).flatMap((c, i) =>
          obj(c.securityContext).readOnlyRootFilesystem === true
            ? []
            : [
                {
                  doc: pod.doc,
                  field: `${pod.podPath}.${key}[${i}].securityContext.readOnlyRootFilesystem`,
                  message: `container ${String(c.name)} can write to its image's filesystem: an intruder can drop tools there, and data written there is lost on restart`,
                },
              ],
        ),
      ),
    ),
};
