import { identityOf } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule } from './rule.ts';

export const duplicateIdentity: GraphRule = {
  id: 'duplicate-identity',
  kinds: ['*'],
  check: (g) => {
    const seen = new Map<string, Doc>();
    return g.docs.flatMap((doc) => {
      const id = identityOf(doc);
      const first = seen.get(id);
      if (!first) {
        seen.set(id, doc);
        return [];
      }
      return [
        {
          doc,
          message: `${id} is also defined in ${first.source}${first.line ? `:${first.line}` : ''}`,
        },
      ];
    });
  },
};
