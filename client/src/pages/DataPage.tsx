import { useQuery } from '@tanstack/react-query';
import { Card } from '../components/ui/Card.tsx';
import { EmptyState } from '../components/ui/EmptyState.tsx';
import { LoadingState } from '../components/ui/LoadingState.tsx';
import { PageHeader } from '../components/ui/PageHeader.tsx';
import { QueryState } from '../components/ui/QueryState.tsx';
import { Tile, TileGrid } from '../components/ui/Tile.tsx';
import { formatDateSpan, formatIsoDate, formatMaskedCount } from '../data/format.ts';
import { isEmptyPractice, recordCounts } from '../data/records.ts';
import { ImportHistory } from '../components/imports/ImportHistory.tsx';
import { ImportUpload } from '../components/imports/ImportUpload.tsx';
import { canImport, seesSuppressedCounts } from '../data/access.ts';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES } from '../data/imports.ts';
import { useSignedInUser } from '../hooks/useSession.ts';
import { sectionOf } from '../sections.ts';
import { useTRPC } from '../trpc.ts';

export function DataPage() {
  const trpc = useTRPC();
  const me = useSignedInUser();
  const summary = useQuery(trpc.records.summary.queryOptions());
  return (
    <>
      <PageHeader title="Data" summary={sectionOf('/data')?.summary} />
      <Card
        title="Stored records"
        subtitle="Everything the practice's imports have brought in, across all sites and providers."
        footnote={
          <>
            Counts are of stored rows after validation: rows an import rejected are listed in that import's report, not here.
            {seesSuppressedCounts(me.role)
              ? ' Counts of patients and their records from 1 to 10 are shown as "<11" for your role (small-cell suppression).'
              : null}
          </>
        }
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
                  <Tile
                    key={c.key}
                    label={c.label}
                    value={formatMaskedCount(c.value)}
                    machineValue={typeof c.value === 'number' ? c.value : c.value.display}
                    definition={c.definition}
                  />
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
      {canImport(me.role) ? (
        <>
          <Card
            title="Import files"
            subtitle="Upload the practice's CSV export; the report says what was stored and what was refused, and why."
            footnote={
              <>
                Up to {MAX_UPLOAD_FILES} files and {MAX_UPLOAD_BYTES / 1024 / 1024} MiB at a time; larger exports are imported on the
                server with <code>npm run import</code>. Re-importing a file updates rows by their ids: nothing is duplicated.
                Every import is recorded in the audit log.
              </>
            }
          >
            <ImportUpload />
          </Card>
          <ImportHistory />
        </>
      ) : (
        <Card title="Imports" subtitle="Where the records come from.">
          <p className="muted">Imports are made by practice managers and administrators.</p>
        </Card>
      )}
    </>
  );
}
