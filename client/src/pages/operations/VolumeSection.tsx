import { CsvExport } from '../../components/export/ExportButtons.tsx';
import { CalendarHeatmap } from '../../components/charts/CalendarHeatmap.tsx';
import { Card } from '../../components/ui/Card.tsx';
import { Definition } from '../../components/ui/Definition.tsx';
import { EmptyState } from '../../components/ui/EmptyState.tsx';
import { LoadingState } from '../../components/ui/LoadingState.tsx';
import { QueryState } from '../../components/ui/QueryState.tsx';
import { Tile } from '../../components/ui/Tile.tsx';
import { formatPercent } from '../../data/format.ts';
import {
  GROUPING_LABELS,
  PERIODS,
  PERIOD_LABELS,
  UNITS,
  UNIT_LABELS,
  VOLUME_GROUPINGS,
  changeText,
  countText,
  moversCsv,
  topMovers,
  volumeCsv,
  volumeRows,
  type CalendarData,
  type Mix,
  type Movers,
  type OperationsPageFilters,
  type OpsQuery,
  type Volume,
} from '../../data/operations.ts';

import { ChartFrame, ShareChart, VolumeChart } from './ChartFrame.tsx';

export const SESSION_DEFINITION =
  'A procedure session is one patient’s interventional procedures of one type (treatment category) in one region on one day: left, right and bilateral injections on the same day, and a code with its add-on codes, are one session. CPT lines count every billed code line, add-on codes included. A session is counted under its primary (first) code.';

type Props = {
  filters: OperationsPageFilters;
  setFilters: (patch: Partial<OperationsPageFilters>) => void;
  volume: OpsQuery<Volume>;
  calendar: OpsQuery<CalendarData>;
  movers: OpsQuery<Movers>;
  mix: OpsQuery<Mix>;
};

export function VolumeSection({ filters, setFilters, volume, calendar, movers, mix }: Props) {
  const unit = UNIT_LABELS[filters.unit];
  const title = `Procedure ${filters.unit === 'sessions' ? 'sessions' : 'CPT lines'} per ${filters.period}, by ${GROUPING_LABELS[filters.by].toLowerCase()}`;
  return (
    <>
      <Card
        title="Procedure volume"
        subtitle={`${unit} per ${PERIOD_LABELS[filters.period].toLowerCase()}, ${filters.by === 'none' ? 'in total' : `by ${filters.by === 'family' || filters.by === 'code' ? GROUPING_LABELS[filters.by] : GROUPING_LABELS[filters.by].toLowerCase()}`}, ${filters.view === 'stacked' ? 'stacked to the total' : 'one line per group'}.`}
        actions={<Definition of="procedure volume">{SESSION_DEFINITION}</Definition>}
        footnote={
          <QueryState query={volume} errorTitle="" loading={null}>
            {(v) => (
              <>
                {v.from ? `Procedure dates ${v.from} to ${v.to}. ` : null}
                {v.truncated ? 'Only the latest 400 periods are shown: choose a longer period or a shorter range. ' : null}
                Change from the previous period and from a year before ({v.period === 'day' ? 'the same weekday 52 weeks earlier' : v.period === 'week' ? 'the week 52 weeks earlier' : `the same ${v.period} a year earlier`}) is of the total. The first period starts at the start of
                its {v.period}. The largest 8 groups are named; the rest are combined in grey.
              </>
            )}
          </QueryState>
        }
      >
        <div className="ops-controls" role="group" aria-label="Volume view">
          <label className="filter">
            <span className="filter__label">Period</span>
            <select className="field__input" value={filters.period} onChange={(e) => setFilters({ period: e.target.value as OperationsPageFilters['period'] })}>
              {PERIODS.map((p) => (
                <option key={p} value={p}>
                  {PERIOD_LABELS[p]}
                </option>
              ))}
            </select>
          </label>
          <label className="filter">
            <span className="filter__label">Split by</span>
            <select className="field__input" value={filters.by} onChange={(e) => setFilters({ by: e.target.value as OperationsPageFilters['by'] })}>
              {VOLUME_GROUPINGS.map((g) => (
                <option key={g} value={g}>
                  {GROUPING_LABELS[g]}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="filter segmented">
            <legend className="filter__label">Count</legend>
            <div className="segmented__options">
              {UNITS.map((u) => (
                <label key={u} className="segmented__option">
                  <input type="radio" name="unit" checked={filters.unit === u} onChange={() => setFilters({ unit: u })} />
                  <span>{UNIT_LABELS[u]}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset className="filter segmented">
            <legend className="filter__label">View</legend>
            <div className="segmented__options">
              {(['stacked', 'split'] as const).map((v) => (
                <label key={v} className="segmented__option">
                  <input type="radio" name="view" checked={filters.view === v} onChange={() => setFilters({ view: v })} />
                  <span>{v === 'stacked' ? 'Stacked' : 'Split'}</span>
                </label>
              ))}
            </div>
          </fieldset>
        </div>
        <QueryState
          query={volume}
          errorTitle="Could not load the procedure volume"
          loading={<LoadingState variant="chart" />}
          isEmpty={(v) => v.buckets.length === 0}
          empty={<EmptyState title="No procedures match these filters">Widen the dates or remove a filter.</EmptyState>}
        >
          {(v) => {
            const last = v.buckets.length - 1;
            return (
              <>
                <div className="ops-tiles">
                  <Tile label={`${unit}, all periods`} value={countText(v.total)} machineValue={typeof v.total === 'number' ? v.total : undefined} />
                  <Tile label={`${unit}, ${v.buckets[last]!.label}`} value={countText(v.totals[last])} machineValue={typeof v.totals[last] === 'number' ? (v.totals[last] as number) : undefined} />
                  <Tile label="Change from the period before" value={changeText(v.periodChange[last])} detail={last > 0 ? `vs ${v.buckets[last - 1]!.label}: ${countText(v.totals[last - 1])}` : undefined} />
                  <Tile label="Change from a year before" value={changeText(v.yearChange[last])} detail={`a year before: ${countText(v.yearBefore[last])}`} />
                </div>
                <ChartFrame title={title} extra={<CsvExport filename={title} columns={volumeCsv(v)} rows={volumeRows(v)} />}>
                  <VolumeChart volume={v} view={filters.view} unitLabel={unit} />
                </ChartFrame>
              </>
            );
          }}
        </QueryState>
      </Card>

      <div className="card-grid">
        <Card
          title="Top movers"
          subtitle="The largest changes in the latest period against the period before."
          footnote={
            <QueryState query={movers} errorTitle="" loading={null}>
              {(m) => (m.current ? `${m.current} against ${m.previous}, and a year before (${m.yearBefore}). ${unit}. The latest period may be incomplete.` : null)}
            </QueryState>
          }
        >
          <QueryState query={movers} errorTitle="Could not load the top movers" loading={<LoadingState />} isEmpty={(m) => m.movers.length === 0} empty={<EmptyState title="No procedures in this range" />}>
            {(m) => {
              const top = topMovers(m, 4);
              return (
                <>
                  <div className="ops-chart__exports">
                    <CsvExport filename={`Top movers ${m.current ?? ''}`} columns={moversCsv} rows={m.movers} />
                  </div>
                  <table className="table table--dense ops-movers">
                    <caption className="visually-hidden">Top movers, {m.current} against {m.previous}</caption>
                    <thead>
                      <tr>
                        <th scope="col">Group</th>
                        <th scope="col" className="numeric">
                          {m.current}
                        </th>
                        <th scope="col" className="numeric">
                          {m.previous}
                        </th>
                        <th scope="col" className="numeric">
                          Change
                        </th>
                        <th scope="col" className="numeric">
                          {m.yearBefore}
                        </th>
                      </tr>
                    </thead>
                    {(['code', 'provider', 'site', 'category'] as const).map((by) => (
                      <tbody key={by}>
                        <tr className="ops-movers__group">
                          <th scope="rowgroup" colSpan={5}>
                            {by === 'code' ? 'CPT codes' : by === 'provider' ? 'Providers' : by === 'site' ? 'Sites' : 'Procedure types'}
                          </th>
                        </tr>
                        {top[by].map((x) => (
                          <tr key={x.key}>
                            <th scope="row">{x.label}</th>
                            <td className="numeric">{countText(x.current)}</td>
                            <td className="numeric">{countText(x.previous)}</td>
                            <td className={`numeric ${x.change !== null && x.change > 0 ? 'is-up' : x.change !== null && x.change < 0 ? 'is-down' : ''}`}>
                              {x.change === null ? '—' : `${x.change > 0 ? '+' : x.change < 0 ? '\u2212' : ''}${Math.abs(x.change).toLocaleString('en-US')}`}
                              <span className="table__sub">{changeText(x.relative)}</span>
                            </td>
                            <td className="numeric">{countText(x.yearBefore)}</td>
                          </tr>
                        ))}
                      </tbody>
                    ))}
                  </table>
                </>
              );
            }}
          </QueryState>
        </Card>

        <Card
          title="Interventional share of new episodes"
          subtitle="Episodes on the interventional path, of all new episodes, by index quarter, with a 95% Wilson band."
          footnote="An episode’s care path is interventional when it includes targeted procedures (domain.md, “Care paths”); grouped by its index date. The latest quarter may be incomplete."
        >
          <QueryState query={mix} errorTitle="Could not load the care-path mix" loading={<LoadingState variant="chart" />} isEmpty={(m) => m.buckets.length === 0} empty={<EmptyState title="No episodes match these filters" />}>
            {(m) => (
              <ChartFrame
                title="Interventional share of new episodes"
                extra={
                  <CsvExport
                    filename="Interventional share of new episodes"
                    columns={[
                      { header: 'Period', value: (b: Mix['buckets'][number]) => b.label },
                      { header: 'Interventional episodes', value: (b) => (typeof b.interventional === 'number' ? b.interventional : b.interventional.display) },
                      { header: 'Conservative episodes', value: (b) => (typeof b.conservative === 'number' ? b.conservative : b.conservative.display) },
                      { header: 'Interventional share', value: (b) => b.share.p },
                      { header: '95% CI lower (Wilson)', value: (b) => b.share.lower },
                      { header: '95% CI upper (Wilson)', value: (b) => b.share.upper },
                    ]}
                    rows={m.buckets}
                  />
                }
              >
                <ShareChart mix={m} />
                <p className="ops-note">
                  Latest: {m.buckets.at(-1)!.label}, {formatPercent(m.buckets.at(-1)!.share.p)} of {countText(m.buckets.at(-1)!.share.n)} episodes.
                </p>
              </ChartFrame>
            )}
          </QueryState>
        </Card>
      </div>

      <Card
        title="Procedure days"
        subtitle="Procedure sessions per calendar day: darker is busier."
        actions={
          calendar.data && calendar.data.years.length > 1 ? (
            <label className="filter filter--inline">
              <span className="filter__label">Year</span>
              <select className="field__input" value={calendar.data.year ?? ''} onChange={(e) => setFilters({ year: Number(e.target.value) })}>
                {calendar.data.years.map((y) => (
                  <option key={y} value={y}>
                    {y}
                  </option>
                ))}
              </select>
            </label>
          ) : null
        }
        footnote={
          <QueryState query={calendar} errorTitle="" loading={null}>
            {(c) =>
              c.year === null ? (
                <>A day's procedure sessions, once there are procedures.</>
              ) : (
                <>
                  {c.year}: {countText(c.total)} sessions. Hover a day for its count.{c.days.some((d) => typeof d.count !== 'number') ? ' Grey: withheld for your role.' : null}
                </>
              )
            }
          </QueryState>
        }
      >
        <QueryState query={calendar} errorTitle="Could not load the calendar" loading={<LoadingState variant="chart" />} isEmpty={(c) => c.days.length === 0} empty={<EmptyState title="No procedures yet" />}>
          {(c) => (
            <ChartFrame title={`Procedure sessions per day ${c.year}`}>
              <CalendarHeatmap calendar={c} />
            </ChartFrame>
          )}
        </QueryState>
      </Card>
    </>
  );
}
