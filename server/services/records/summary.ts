import type { Db } from '../../../db/index.ts';

export type RecordsSummary = {
  sites: number;
  providers: number;
  patients: number;
  episodes: number;
  treatments: number;
  observations: number;
  firstIndexDate: string | null;
  lastIndexDate: string | null;
};

export function recordsSummary(db: Db): RecordsSummary {
  const q = (sql: string) => db.$client.prepare(sql).pluck().get() as number;
  const span = db.$client.prepare('SELECT min(start_date) AS first, max(start_date) AS last FROM episodes').get() as {
    first: string | null;
    last: string | null;
  };
  return {
    sites: q('SELECT count(*) FROM sites'),
    providers: q('SELECT count(*) FROM providers'),
    patients: q('SELECT count(*) FROM patients'),
    episodes: q('SELECT count(*) FROM episodes'),
    treatments: q('SELECT count(*) FROM treatments'),
    observations: q('SELECT count(*) FROM observations'),
    firstIndexDate: span.first,
    lastIndexDate: span.last,
  };
}
