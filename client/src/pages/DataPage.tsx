import { useQuery } from '@tanstack/react-query';
import { Card } from '../components/ui/Card.tsx';
import { EmptyState } from '../components/ui/EmptyState.tsx';
import { LoadingState } from '../components/ui/LoadingState.tsx';
import { PageHeader } from '../components/ui/PageHeader.tsx';
import { QueryState } from '../components/ui/QueryState.tsx';
import { Tile, TileGrid } from '../components/ui/Tile.tsx';
import { formatCount, formatDateSpan, formatIsoDate } from '../data/format.ts';
import { isEmptyPractice, recordCounts } from '../data/records.ts';
import { sectionOf } from '../sections.ts';
import { useTRPC } from '../trpc.ts';

export function DataPage() {
  const trpc = useTRPC();
  const summary = useQuery(trpc.records.summary.queryOptions());
  return (
    <>
      <PageHeader title="Data" summary={sectionOf('/data')?.summary} />
      <Card
        title="Stored records"
        subtitle="Everything the practice's imports have brought in, across all sites and providers."
        footnote="Counts are of stored rows after validation: rows an import rejected are listed in that import's report, not here."
      >
        <QueryState
          query={summary}
          errorTitle="Could not load the practice's records"
          loading={<LoadingState variant="tiles" count={6} label="Loading the practice's records" />}
          isEmpty={isEmptyPractice}
          empty={
            <EmptyState title="No records yet">
              <p>
                Import your practice's files or run <code>npm run seed</code>.
              </p>
              <p className="muted">
                Importing on the server: <code>npm run import -- &lt;folder&gt;</code>. The import format is described in
                docs/import.md.
              </p>
            </EmptyState>
          }
        >
          {(s) => (
            <>
              <TileGrid label="Record counts">
                {recordCounts(s).map((c) => (
                  <Tile key={c.key} label={c.label} value={formatCount(c.value)} machineValue={c.value} definition={c.definition} />
                ))}
              </TileGrid>
              <dl className="facts">
                <div>
                  <dt>Index dates</dt>
                  <dd>
                    {s.firstIndexDate ? (
                      <>
                        <time dateTime={s.firstIndexDate}>{formatIsoDate(s.firstIndexDate)}</time>
                        {' \u2013 '}
                        <time dateTime={s.lastIndexDate ?? s.firstIndexDate}>{formatIsoDate(s.lastIndexDate)}</time>
                      </>
                    ) : (
                      formatDateSpan(null, null)
                    )}
                  </dd>
                  <dd className="facts__note">First and last start of an episode of care.</dd>
                </div>
              </dl>
            </>
          )}
        </QueryState>
      </Card>
      <Card title="Imports" subtitle="Uploading files from this page, and the history of imports with their reports.">
        <p className="muted">
          Not available yet: uploading comes with sign-in, so that only practice managers and administrators can import.
          Until then, files are imported on the server with <code>npm run import</code>.
        </p>
      </Card>
    </>
  );
}
