import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { downloadBlob } from '../../components/export/download.ts';
import { CsvExport } from '../../components/export/ExportButtons.tsx';
import { Card } from '../../components/ui/Card.tsx';
import { Definition } from '../../components/ui/Definition.tsx';
import { EmptyState } from '../../components/ui/EmptyState.tsx';
import { LoadingState } from '../../components/ui/LoadingState.tsx';
import { QueryState } from '../../components/ui/QueryState.tsx';
import { Tile } from '../../components/ui/Tile.tsx';
import { formatCount, formatDecimal, formatPercent } from '../../data/format.ts';
import { countText, rateCiText, rateText, repeatsCsv, type OpsFiltersInput, type OpsQuery, type Repeats } from '../../data/operations.ts';
import { useTRPC } from '../../trpc.ts';
import { ChartFrame, IntervalHistogram } from './ChartFrame.tsx';

export const ESI_RULE =
  'Epidural steroid injection sessions of one patient in one region (cervical, thoracic, lumbar, sacroiliac…; left, right and bilateral count as the same region), counted over a rolling 12 months: the 365 days ending on the session, both ends included. A session is flagged when it is the 5th or later in such a window (the Medicare LCD L39242 / L33906 rule of thumb of at most 4 sessions per region per rolling 12 months). A rule of thumb, not a coverage decision.';
export const MBB_RULE =
  'A diagnostic series starts with a medial branch block with no block of the same region in the 364 days before (a second, confirmatory block belongs to the same series). Converted: a radiofrequency ablation of the same patient and region within 12 months (364 days) after it. Only series whose 12 months have passed are counted.';
export const REPEAT_RULE =
  'Interval: days from a session to the next session of the same patient, procedure type and region, in any episode. Repeat rate: of the sessions at least 12 months old, the share followed by another within 12 months (364 days).';

type Props = {
  repeats: OpsQuery<Repeats>;
  filters: OpsFiltersInput;
  /** The caller may see patient-level data (admins; physicians, their own episodes). */
  canList: boolean;
};

export function RepeatsSection({ repeats, filters, canList }: Props) {
  const trpc = useTRPC();
  const flagged = useInfiniteQuery({
    ...trpc.operations.flaggedEpisodes.infiniteQueryOptions({ filters, limit: 50 }, { getNextPageParam: (last) => last.next }),
    enabled: canList,
    // Patient-level rows are never shown for filters they do not match.
    placeholderData: undefined,
  });
  return (
    <>
      <Card
        title="Repeat procedures"
        subtitle="How soon the same procedure is repeated in the same region, and how often within 12 months."
        actions={<Definition of="repeat procedures">{REPEAT_RULE}</Definition>}
        footnote={<>{REPEAT_RULE} Sessions dated in the filters’ range; intervals may end after it. Bins of 30 days; the last bin holds everything longer.</>}
      >
        <QueryState query={repeats} errorTitle="Could not load the repeat procedures" loading={<LoadingState variant="chart" />} isEmpty={(r) => r.byCategory.length === 0} empty={<EmptyState title="No procedures match these filters" />}>
          {(r) => (
            <div className="card-grid card-grid--tight">
              <ChartFrame title="Interval to the next session of the same type and region">
                <IntervalHistogram repeats={r} />
              </ChartFrame>
              <div>
                <div className="ops-chart__exports">
                  <CsvExport filename="Repeat procedures by type" columns={repeatsCsv} rows={r.byCategory} />
                </div>
                <table className="table table--dense">
                  <caption className="visually-hidden">Repeat intervals and 12-month repeat rates by procedure type</caption>
                  <thead>
                    <tr>
                      <th scope="col">Procedure type</th>
                      <th scope="col" className="numeric">
                        Intervals
                      </th>
                      <th scope="col" className="numeric">
                        Median days (IQR)
                      </th>
                      <th scope="col" className="numeric">
                        Repeated within 12 months
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.byCategory.map((c) => (
                      <tr key={c.key}>
                        <th scope="row">{c.label}</th>
                        <td className="numeric">{countText(c.intervals)}</td>
                        <td className="numeric">
                          {formatDecimal(c.median, 0)}
                          <span className="table__sub">{c.q1 === null ? '—' : `${formatDecimal(c.q1, 0)} to ${formatDecimal(c.q3, 0)}`}</span>
                        </td>
                        <td className="numeric">
                          <span className="figure">{rateText(c.repeatRate)}</span>
                          <span className="table__sub">
                            {countText(c.repeatRate.x)} of {countText(c.repeatRate.n)}; {rateCiText(c.repeatRate)}
                          </span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          )}
        </QueryState>
      </Card>

      <div className="card-grid">
        <Card
          title="Payer rule: epidural steroid injections"
          subtitle="Sessions beyond 4 per region in a rolling 12 months."
          actions={<Definition of="the ESI rule">{ESI_RULE}</Definition>}
          footnote={ESI_RULE}
        >
          <QueryState query={repeats} errorTitle="Could not load the ESI figures" loading={<LoadingState variant="tiles" count={3} />}>
            {(r) => (
              <>
                <div className="ops-tiles">
                  <Tile label="Flagged ESI sessions" value={countText(r.esi.flagged)} machineValue={typeof r.esi.flagged === 'number' ? r.esi.flagged : undefined} detail={`of ${countText(r.esi.sessions)} ESI sessions`} />
                  <Tile label="Patients flagged" value={countText(r.esi.patients)} machineValue={typeof r.esi.patients === 'number' ? r.esi.patients : undefined} />
                  <Tile label="Episodes flagged" value={countText(r.esi.episodes)} />
                </div>
                <table className="table table--dense">
                  <caption className="visually-hidden">ESI sessions and flagged sessions by region and provider</caption>
                  <thead>
                    <tr>
                      <th scope="col">Region / provider</th>
                      <th scope="col" className="numeric">
                        ESI sessions
                      </th>
                      <th scope="col" className="numeric">
                        Flagged
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.esi.byRegion.map((x) => (
                      <tr key={`r-${x.key}`}>
                        <th scope="row">{x.label}</th>
                        <td className="numeric">{countText(x.sessions)}</td>
                        <td className="numeric">{countText(x.flagged)}</td>
                      </tr>
                    ))}
                  </tbody>
                  <tbody>
                    {r.esi.byProvider.map((x) => (
                      <tr key={`p-${x.key}`}>
                        <th scope="row">{x.label}</th>
                        <td className="numeric">{countText(x.sessions)}</td>
                        <td className="numeric">
                          {countText(x.flagged)}
                          <span className="table__sub">{formatPercent(x.share, 1)}</span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </QueryState>
        </Card>

        <Card title="Medial branch block to radiofrequency ablation" subtitle="Conversion within 12 months of a diagnostic series." actions={<Definition of="the conversion rate">{MBB_RULE}</Definition>} footnote={MBB_RULE}>
          <QueryState query={repeats} errorTitle="Could not load the conversion rate" loading={<LoadingState variant="tiles" count={2} />}>
            {(r) => (
              <>
                <div className="ops-tiles">
                  <Tile label="MBB to RFA conversion" value={rateText(r.mbb.rate)} machineValue={r.mbb.rate.p ?? undefined} interval={r.mbb.rate.lower === null ? undefined : rateCiText(r.mbb.rate)} detail={`${countText(r.mbb.converted)} of ${countText(r.mbb.series)} series`} />
                  <Tile label="Median days to RFA" value={formatDecimal(r.mbb.medianDays, 0)} detail={`${countText(r.mbb.recent)} newer series not yet 12 months old`} />
                </div>
                <table className="table table--dense">
                  <caption className="visually-hidden">Conversion by provider</caption>
                  <thead>
                    <tr>
                      <th scope="col">Provider</th>
                      <th scope="col" className="numeric">
                        Series
                      </th>
                      <th scope="col" className="numeric">
                        Converted
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.mbb.byProvider.map((x) => (
                      <tr key={x.key}>
                        <th scope="row">{x.label}</th>
                        <td className="numeric">{countText(x.series)}</td>
                        <td className="numeric">
                          {rateText(x.rate)}
                          <span className="table__sub">
                            {countText(x.converted)}; {rateCiText(x.rate)}
                          </span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </QueryState>
        </Card>
      </div>

      {canList ? (
        <Card title="Flagged episodes" subtitle="Episodes with an ESI session beyond 4 in its region’s rolling 12 months, newest flag first." footnote="Patient-level: your reads of this list are recorded in the audit log. Ids are the product’s record ids.">
          <QueryState query={flagged} errorTitle="Could not load the flagged episodes" loading={<LoadingState />} isEmpty={(d) => d.pages[0]!.total === 0} empty={<EmptyState title="No flagged episodes" />}>
            {(d) => {
              const rows = d.pages.flatMap((p) => p.rows);
              return (
                <>
                  <div className="ops-chart__exports">
                    <span className="ops-note">
                      {formatCount(rows.length)} of {formatCount(d.pages[0]!.total)} shown
                    </span>
                    <FlaggedCsvButton filters={filters} total={d.pages[0]!.total} />
                  </div>
                  <div className="table-scroll">
                    <table className="table table--dense">
                      <caption className="visually-hidden">Flagged episodes</caption>
                      <thead>
                        <tr>
                          <th scope="col">Episode</th>
                          <th scope="col">Index date</th>
                          <th scope="col">Provider</th>
                          <th scope="col">Site</th>
                          <th scope="col">Region</th>
                          <th scope="col">Flagged session</th>
                          <th scope="col" className="numeric">
                            Sessions in 12 months
                          </th>
                          <th scope="col">Session dates</th>
                        </tr>
                      </thead>
                      <tbody>
                        {rows.map((x) => (
                          <tr key={`${x.episodeId}-${x.flaggedOn}`}>
                            <th scope="row">#{x.episodeId}</th>
                            <td>{x.indexDate}</td>
                            <td>{x.provider}</td>
                            <td>{x.site}</td>
                            <td>{x.region}</td>
                            <td>{x.flaggedOn}</td>
                            <td className="numeric">{x.sessionsInWindow}</td>
                            <td className="ops-dates">{x.windowDates.join(', ')}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  {flagged.hasNextPage ? (
                    <button type="button" className="button" onClick={() => void flagged.fetchNextPage()} disabled={flagged.isFetchingNextPage}>
                      {flagged.isFetchingNextPage ? 'Loading…' : 'Show more'}
                    </button>
                  ) : null}
                </>
              );
            }}
          </QueryState>
        </Card>
      ) : null}
    </>
  );
}

/**
 * The whole flagged list as CSV, written by the server (not only the pages
 * loaded here) and recorded in the audit log as an identified export.
 */
function FlaggedCsvButton({ filters, total }: { filters: OpsFiltersInput; total: number }) {
  const trpc = useTRPC();
  const download = useMutation(
    trpc.operations.flaggedEpisodesCsv.mutationOptions({
      onSuccess: (d) => downloadBlob(new Blob(['\uFEFF', d.csv], { type: 'text/csv;charset=utf-8' }), 'flagged-esi-episodes.csv'),
    }),
  );
  const d = download.data;
  return (
    <>
      <button type="button" className="button button--small" disabled={download.isPending} onClick={() => download.mutate({ filters })}>
        {download.isPending ? 'Preparing CSV…' : `CSV (all ${formatCount(total)})`}
      </button>
      {download.isError ? (
        <span className="ops-note" role="alert">
          The CSV could not be made: {download.error.message}
        </span>
      ) : d && d.rows < d.total ? (
        <span className="ops-note">The CSV holds the newest {formatCount(d.rows)} of {formatCount(d.total)}.</span>
      ) : null}
    </>
  );
}
