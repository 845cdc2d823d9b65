import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { arr, normalizeRepoURL, obj, spec } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

/** Whether the path is a directory Argo CD can render (an empty one renders nothing, which is not a failure). */
function isDirectory(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory();
}

export const argocdPathMissing: GraphRule = {
  id: 'argocd-path-missing',
  kinds: ['Application', 'ApplicationSet'],
  check: (g) =>
    g.ofKind('Application', 'ApplicationSet').flatMap((doc) => {
      const base = doc.ref.kind === 'ApplicationSet' ? 'spec.template.spec' : 'spec';
      const appSpec = doc.ref.kind === 'ApplicationSet' ? obj(obj(spec(doc).template).spec) : spec(doc);
      const sources: [Record<string, unknown>, string][] = [
        ...(appSpec.source
          ? [[obj(appSpec.source), `${base}.source`] as [Record<string, unknown>, string]]
          : []),
        ...arr(appSpec.sources).map(
          (s, i) => [s, `${base}.sources[${i}]`] as [Record<string, unknown>, string],
        ),
      ];
      return sources.flatMap(([source, field]): GraphViolation[] => {
        const url = typeof source.repoURL === 'string' ? normalizeRepoURL(source.repoURL) : '';
        const checkout = g.repositories[url];
        const path = source.path;
        // Only sources into a repository given with --repository, by a literal path, can be checked here.
        if (!checkout || typeof path !== 'string' || path.includes('{{')) return [];
        if (isDirectory(join(checkout, path))) return [];
        return [
          {
            doc,
            field: `${field}.path`,
            message: `points at ${path} in ${String(source.repoURL)}, which has no such directory: Argo CD fails to render the Application`,
          },
        ];
      });
    }),
};
