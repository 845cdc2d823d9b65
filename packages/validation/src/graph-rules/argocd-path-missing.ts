import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { arr, normalizeRepoURL, obj, spec } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

/** Whether Argo CD would find something to render at a path: a directory holding manifests or a tool's entry. */
function renderable(dir: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
  return readdirSync(dir).some((f) => /\.(ya?ml|json|jsonnet|libsonnet)$/.test(f) || f === 'Chart.yaml');
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
        if (renderable(join(checkout, path))) return [];
        return [
          {
            doc,
            field: `${field}.path`,
            message: `points at ${path} in ${String(source.repoURL)}, where there is no directory of manifests: Argo CD fails to render the Application`,
          },
        ];
      });
    }),
};
