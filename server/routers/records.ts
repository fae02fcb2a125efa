import { privacyFor } from '../auth/privacy.ts';
import { recordsSummary } from '../services/records/summary.ts';
import { allow, procedure, router } from '../trpc.ts';

export const recordsRouter = router({
  /**
   * How many records of each kind are stored, and the span of index dates.
   * For roles without patient-level access, counts of people and their
   * records below the small-cell threshold are withheld, and so is the date
   * span when the episodes are that few (the first and last index dates of a
   * handful of episodes are individual treatment dates).
   */
  summary: procedure(allow.signedIn).query(({ ctx }) => {
    const s = recordsSummary(ctx.db);
    const privacy = privacyFor(ctx);
    const counts = privacy.independent({ patients: s.patients, episodes: s.episodes, treatments: s.treatments, observations: s.observations });
    const fewEpisodes = privacy.suppress && s.episodes > 0 && s.episodes < privacy.threshold;
    return {
      ...s,
      ...counts,
      firstIndexDate: fewEpisodes ? null : s.firstIndexDate,
      lastIndexDate: fewEpisodes ? null : s.lastIndexDate,
    };
  }),
});
