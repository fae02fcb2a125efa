import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, type ReactNode } from 'react';
import { OutcomeFilterBar } from '../components/filters/OutcomeFilterBar.tsx';
import { OutcomeTable } from '../components/tables/OutcomeTable.tsx';
import { Card } from '../components/ui/Card.tsx';
import { Definition } from '../components/ui/Definition.tsx';
import { EmptyState } from '../components/ui/EmptyState.tsx';
import { LoadingState } from '../components/ui/LoadingState.tsx';
import { PageHeader } from '../components/ui/PageHeader.tsx';
import { QueryState } from '../components/ui/QueryState.tsx';
import { seesSuppressedCounts } from '../data/access.ts';
import { formatDateSpan, SUPPRESSION_NOTE } from '../data/format.ts';
import {
  CHANGE_DEFINITION,
  OUTCOME_FILTERS,
  changeUnit,
  countText,
  definitionLabel,
  definitionSentence,
  denominatorSentence,
  filtersInput,
  groupParam,
  isEmptySummary,
  measureLabel,
  outcomeInput,
  parseGroup,
  windowLabel,
  windowSentence,
  type OutcomeMeasure,
} from '../data/outcomes.ts';
import { useSignedInUser } from '../hooks/useSession.ts';
import { useUrlFilters } from '../hooks/useUrlFilters.ts';
import { sectionOf } from '../sections.ts';
import { useTRPC } from '../trpc.ts';
import { ComplicationTable } from './outcomes/ComplicationTable.tsx';
import { HeadlineTiles } from './outcomes/HeadlineTiles.tsx';
import { OpioidTable } from './outcomes/OpioidTable.tsx';
import { PatientsCard } from './outcomes/PatientsCard.tsx';
import './outcomes/outcomes.css';

// The charting library is most of the page's weight: loaded beside the figures, not before them.
const TrajectoryChart = lazy(async () => ({ default: (await import('../components/charts/TrajectoryChart.tsx')).TrajectoryChart }));
const ResponderChart = lazy(async () => ({ default: (await import('../components/charts/ResponderChart.tsx')).ResponderChart }));
const ChangeHistogram = lazy(async () => ({ default: (await import('../components/charts/ChangeHistogram.tsx')).ChangeHistogram }));
const ChartSlot = ({ children }: { children: ReactNode }) => <Suspense fallback={<LoadingState variant="chart" label="Loading the chart" />}>{children}</Suspense>;

export function OutcomesPage() {
  const trpc = useTRPC();
  const me = useSignedInUser();
  const { filters, setFilters, resetFilters, isDefault } = useUrlFilters(OUTCOME_FILTERS);
  const measure = filters.measure as OutcomeMeasure;
  const input = outcomeInput(filters);
  const where = filtersInput(filters);
  const unit = changeUnit(measure);
  const window = windowLabel(filters.window);
  const canSeePatients = me.role === 'physician' || me.role === 'admin';
  const suppressed = seesSuppressedCounts(me.role);

  const options = useQuery(trpc.outcomes.filterOptions.queryOptions());
  const summary = useQuery(trpc.outcomes.summary.queryOptions(input));
  const trajectory = useQuery(trpc.outcomes.trajectory.queryOptions({ measure, definition: filters.definition, filters: where }));
  const responders = useQuery(trpc.outcomes.responders.queryOptions({ query: input, by: 'category' }));
  const distribution = useQuery(trpc.outcomes.distribution.queryOptions({ measure, window: filters.window, definition: filters.definition, filters: where }));
  const table = useQuery(trpc.outcomes.table.queryOptions({ query: input, by: filters.by }));
  const opioids = useQuery(trpc.outcomes.opioids.queryOptions({ window: filters.window, denominator: filters.denominator, filters: where }));
  const complications = useQuery(trpc.outcomes.complications.queryOptions({ filters: where }));

  const selected = parseGroup(filters.group);
  const selectedLabel =
    selected && table.data && table.data.by === selected.by
      ? (table.data.groups.find((g) => g.key === selected.key)?.label ?? selected.key ?? 'none recorded')
      : (selected?.key ?? '');
  const definitionNote = (
    <>
      {definitionSentence(filters.definition, measure)} {denominatorSentence(filters.denominator)}
    </>
  );
  const empty = (
    <EmptyState
      title="No episodes match these filters"
      action={
        !isDefault ? (
          <button type="button" className="button" onClick={() => resetFilters()}>
            Reset filters
          </button>
        ) : undefined
      }
    >
      {isDefault ? 'No outcome data yet: import the practice’s records on the Data page.' : 'Widen the date range or remove a filter.'}
    </EmptyState>
  );

  return (
    <>
      <PageHeader title="Outcomes" summary={sectionOf('/outcomes')?.summary} />
      <OutcomeFilterBar filters={filters} options={options.data} onChange={(patch) => setFilters(patch)} onReset={() => resetFilters()} isDefault={isDefault} />
      <p className="scope-line" aria-live="polite">
        {measureLabel(measure)} at {window}; responders: {definitionLabel(filters.definition, measure).toLowerCase()}, {filters.denominator === 'complete_case' ? 'complete case' : 'intention to treat'}.
        {' '}
        {filters.from || filters.to
          ? `Index dates ${formatDateSpan(filters.from ?? options.data?.firstIndexDate, filters.to ?? options.data?.lastIndexDate)}.`
          : options.data?.firstIndexDate
            ? `All index dates (${formatDateSpan(options.data.firstIndexDate, options.data.lastIndexDate)}).`
            : null}
        {suppressed ? ` ${SUPPRESSION_NOTE}` : null}
        {summary.data?.updating ? ' Figures are being brought up to date with the latest import.' : null}
      </p>

      <QueryState
        query={summary}
        errorTitle="Could not load the outcomes"
        loading={<LoadingState variant="tiles" count={7} label="Loading the outcomes" />}
        isEmpty={isEmptySummary}
        empty={empty}
      >
        {(s) => (
          <div className="headline-tiles">
            <HeadlineTiles summary={s} opioids={opioids.data} complications={complications.data} filters={filters} options={options.data} />
          </div>
        )}
      </QueryState>

      {summary.data && isEmptySummary(summary.data) ? null : (
        <>
          <div className="card-grid">
            <Card
              title={`${measureLabel(measure)}: change over time`}
              subtitle="Mean change from baseline at each follow-up window, by care path, with 95% confidence bands."
              actions={<Definition of="change over time">{CHANGE_DEFINITION}</Definition>}
              footnote="Complete cases at each window: n differs by window (below the chart and on hover). Windows: 2 weeks (days 7–21), 6 weeks (22–63), 3 months (64–135), 6 months (136–272), 12 months (273–456); the score nearest the target day counts. Windows are evenly spaced, not to time scale. Mean with a 95% t-interval."
            >
              <QueryState query={trajectory} errorTitle="Could not load the trajectory" loading={<LoadingState variant="chart" />}>
                {(t) => (
                  <ChartSlot>
                    <TrajectoryChart trajectory={t} unit={unit} />
                  </ChartSlot>
                )}
              </QueryState>
            </Card>
            <Card
              title={`Responders by treatment category, ${window}`}
              subtitle={`${definitionLabel(filters.definition, measure)}, ${filters.denominator === 'complete_case' ? 'complete case' : 'intention to treat'}; bars with Wilson 95% intervals.`}
              actions={<Definition of="responders">{definitionNote}</Definition>}
              footnote={
                <>
                  Category: the episode’s primary treatment (an interventional episode’s first procedure). {definitionNote} n per category in the table below.
                </>
              }
            >
              <QueryState query={responders} errorTitle="Could not load the responder rates" loading={<LoadingState variant="chart" />}>
                {(r) =>
                  r.respondersApply ? (
                    <ChartSlot>
                      <ResponderChart responders={r} />
                    </ChartSlot>
                  ) : (
                    <EmptyState title="Not defined for this measure">The spec defines only the MCID for this measure.</EmptyState>
                  )
                }
              </QueryState>
            </Card>
          </div>

          <div className="card-grid">
            <Card
              title={`Distribution of change, ${window}`}
              subtitle="Share of each care path’s complete cases by change from baseline."
              actions={<Definition of="distribution of change">{CHANGE_DEFINITION}</Definition>}
              footnote={
                <QueryState query={distribution} errorTitle="" loading={null}>
                  {(d) => (
                    <>
                      Bins of {d.binWidth} {d.binWidth === 1 ? unit.replace(/s$/, '') : unit}, centred on the label. n ={' '}
                      {d.series.map((s) => `${countText(s.n)} ${s.label.toLowerCase()}`).join(', ')}. Follow-up: {windowSentence(filters.window, options.data?.windows)}.
                    </>
                  )}
                </QueryState>
              }
            >
              <QueryState query={distribution} errorTitle="Could not load the distribution" loading={<LoadingState variant="chart" />}>
                {(d) =>
                  d.series.some((s) => !s.withheld) ? (
                    <ChartSlot>
                      <ChangeHistogram distribution={d} unit={unit} />
                    </ChartSlot>
                  ) : d.series.length ? (
                    <EmptyState title="Withheld">Too few episodes to show this distribution for your role.</EmptyState>
                  ) : (
                    <EmptyState title="No follow-up in this window" />
                  )
                }
              </QueryState>
            </Card>
            <Card
              title={`Opioid use, ${window}`}
              subtitle="Daily morphine milligram equivalents (MME) by care path."
              footnote={
                <>
                  Of episodes with a baseline pain score (a baseline visit). On opioids: a daily MME above 0 recorded; no MME recorded counts as none. At the window: of
                  those with a visit in it (a pain score or an MME). Dose at least halved (stopping included) and stopped: of those on opioids at baseline
                  {filters.denominator === 'complete_case'
                    ? ' with an MME recorded in the window (complete case).'
                    : '; without an MME in the window they count as not reduced (intention to treat).'}{' '}
                  Mean MME change: complete cases. Wilson 95% intervals for shares, t-intervals for means.
                </>
              }
            >
              <QueryState
                query={opioids}
                errorTitle="Could not load opioid use"
                loading={<LoadingState variant="table" count={5} />}
                isEmpty={(o) => !o.recorded}
                empty={
                  <EmptyState title="No opioid doses are recorded in this practice's data">
                    None of its episodes has a daily MME, so who is on opioids is unknown, not zero. Import MME observations (measure mme) to see opioid use.
                  </EmptyState>
                }
              >
                {(o) => <OpioidTable opioids={o} windowLabel={window} />}
              </QueryState>
            </Card>
          </div>

          <Card
            title={filters.by === 'category' ? 'By treatment category' : 'By condition'}
            subtitle={`${measureLabel(measure)} at ${window}: episodes, follow-up, change and responders per group.`}
            actions={
              <div className="segmented segmented--inline" role="radiogroup" aria-label="Rows of the table">
                {(['category', 'condition'] as const).map((b) => (
                  <label key={b} className="segmented__option">
                    <input type="radio" name="table-by" checked={filters.by === b} onChange={() => setFilters({ by: b })} />
                    <span>{b === 'category' ? 'Category' : 'Condition'}</span>
                  </label>
                ))}
              </div>
            }
            footnote={
              <>
                Mean change with a 95% t-interval; median with the interquartile range (25th–75th percentile); responders with a Wilson 95% interval. {definitionNote}
                {canSeePatients ? ' “Patients” lists the episodes of a row.' : null}
              </>
            }
          >
            <QueryState query={table} errorTitle="Could not load the table" loading={<LoadingState variant="table" count={8} />}>
              {(t) => (
                <OutcomeTable
                  caption={`${measureLabel(measure)} at ${window} by ${filters.by}`}
                  groupTitle={t.by === 'category' ? 'Treatment category' : 'Condition'}
                  groups={t.groups}
                  overall={t.overall}
                  respondersApply={t.respondersApply}
                  colourByPath={t.by === 'category'}
                  selectedKey={selected && selected.by === t.by ? selected.key : undefined}
                  onShowPatients={canSeePatients ? (key) => setFilters({ group: groupParam(t.by, key), episode: 0 }, { push: true }) : undefined}
                />
              )}
            </QueryState>
          </Card>

          {canSeePatients && selected ? (
            <PatientsCard
              filters={filters}
              groupLabel={selectedLabel}
              physician={me.role === 'physician'}
              onClose={() => setFilters({ group: '', episode: 0 })}
              onOpen={(episode) => setFilters({ episode })}
            />
          ) : null}

          <Card
            title="Complications"
            subtitle="Per treatment given in the selected episodes, by category and care path."
            footnote="Denominator: treatments with a complication status recorded (none, minor or major): one per procedure session, add-on code lines carry none. For conservative care, adverse events are recorded as complications of its treatments. Wilson 95% intervals."
          >
            <QueryState query={complications} errorTitle="Could not load complications" loading={<LoadingState variant="table" count={6} />}>
              {(c) => (c.byCategory.length ? <ComplicationTable complications={c} /> : <EmptyState title="No treatments with a complication status" />)}
            </QueryState>
          </Card>
        </>
      )}
    </>
  );
}
