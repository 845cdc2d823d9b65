import { obj, spec } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const jobTtlMissing: GraphRule = {
  id: 'job-ttl-missing',
  kinds: ['Job', 'CronJob'],
  check: (g) => [
    // A Job of its own stays with its pods until someone deletes it; a CronJob's history limits clean up.
    ...g.ofKind('Job').flatMap((job) =>
      spec(job).ttlSecondsAfterFinished === undefined
        ? [
            {
              doc: job,
              field: 'spec.ttlSecondsAfterFinished',
              message: 'has no TTL: the finished Job and its pods stay in the cluster until deleted by hand',
            },
          ]
        : [],
    ),
    ...g.ofKind('CronJob').flatMap((cron) =>
      spec(cron).startingDeadlineSeconds === undefined
        ? [
            {
              doc: cron,
              field: 'spec.startingDeadlineSeconds',
              message:
                'has no starting deadline: after 100 missed schedules (a controller outage, a long suspension) the CronJob stops scheduling for good',
            },
          ]
        : [],
    ),
    ...g.ofKind('CronJob').flatMap((cron) => {
      const template = obj(obj(spec(cron).jobTemplate).spec);
      return template.activeDeadlineSeconds === undefined
        ? [
            {
              doc: cron,
              field: 'spec.jobTemplate.spec.activeDeadlineSeconds',
              message:
                'runs Jobs without a deadline: a hung run blocks the next ones (concurrencyPolicy Forbid) or piles up',
            },
          ]
        : [];
    }),
  ],
};
