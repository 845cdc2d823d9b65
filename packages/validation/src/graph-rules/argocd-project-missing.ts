import { type ManifestGraph, spec } from '../graph.ts';
import type { GraphRule } from './rule.ts';

/** AppProjects live in Argo CD's own namespace, which need not be the Application's; "default" always exists. */
function hasProject(g: ManifestGraph, name: string): boolean {
  return [...g.ofKind('AppProject'), ...g.provided.filter((d) => d.ref.kind === 'AppProject')].some(
    (p) => p.ref.name === name,
  );
}

export const argocdProjectMissing: GraphRule = {
  id: 'argocd-project-missing',
  kinds: ['Application', 'ApplicationSet', 'AppProject'],
  check: (g) => [
    ...g.ofKind('Application').flatMap((doc) => {
      const project = spec(doc).project;
      if (typeof project !== 'string' || project === 'default' || hasProject(g, project)) return [];
      return [
        {
          doc,
          field: 'spec.project',
          message: `belongs to AppProject ${project}, which the set neither contains nor declares as provided; Argo CD refuses to sync it`,
        },
      ];
    }),
    ...g.ofKind('ApplicationSet').flatMap((doc) => {
      const project = (spec(doc).template as { spec?: { project?: unknown } } | undefined)?.spec?.project;
      if (
        typeof project !== 'string' ||
        project.includes('{{') ||
        project === 'default' ||
        hasProject(g, project)
      )
        return [];
      return [
        {
          doc,
          field: 'spec.template.spec.project',
          message: `generates Applications of AppProject ${project}, which the set neither contains nor declares as provided`,
        },
      ];
    }),
  ],
};
