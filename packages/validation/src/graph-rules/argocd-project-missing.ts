import { namespaceOf, spec } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const argocdProjectMissing: GraphRule = {
  id: 'argocd-project-missing',
  kinds: ['Application', 'ApplicationSet', 'AppProject'],
  check: (g) => [
    ...g.ofKind('Application').flatMap((doc) => {
      const project = spec(doc).project;
      // Argo CD creates the "default" project; the others live in the Application's namespace.
      if (
        typeof project !== 'string' ||
        project === 'default' ||
        g.find('AppProject', namespaceOf(doc), project)
      )
        return [];
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
        g.find('AppProject', namespaceOf(doc), project)
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
