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
                'has no starting deadline: after a controller outage or a suspension it may start a long-missed run at once, and beyond 100 missed schedules it only logs an error and runs the latest',
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
