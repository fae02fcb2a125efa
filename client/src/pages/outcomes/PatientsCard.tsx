import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { PatientTable } from '../../components/tables/PatientTable.tsx';
import { Card } from '../../components/ui/Card.tsx';
import { EmptyState } from '../../components/ui/EmptyState.tsx';
import { LoadingState } from '../../components/ui/LoadingState.tsx';
import { QueryState } from '../../components/ui/QueryState.tsx';
import type { Measure } from '../../../../db/schema/vocabulary.ts';
import { MEASURES } from '../../../../db/schema/vocabulary.ts';
import { formatIsoDate } from '../../data/format.ts';
import {
  changeUnit,
  filtersInput,
  parseGroup,
  timelineMeasures,
  windowLabel,
  type OutcomeMeasure,
  type OutcomePageFilters,
  type Timeline,
} from '../../data/outcomes.ts';
import { useTRPC } from '../../trpc.ts';

/** Episodes per page of the patient list (the server allows up to 100 per call). */
const PAGE_SIZE = 50;

const TimelineChart = lazy(async () => ({ default: (await import('../../components/charts/TimelineChart.tsx')).TimelineChart }));

type Props = {
  filters: OutcomePageFilters;
  groupLabel: string;
  onClose: () => void;
  onOpen: (episodeId: number) => void;
  physician: boolean;
};

/** The episodes of the selected group (patient-level: physicians' own patients, or all for admins), and one episode's timeline. */
export function PatientsCard({ filters, groupLabel, onClose, onOpen, physician }: Props) {
  const trpc = useTRPC();
  const group = parseGroup(filters.group);
  const measure = filters.measure as OutcomeMeasure;
  // Keyset pages of PAGE_SIZE (the server's `next` is the last row shown); "Show more" asks for the next one.
  const patients = useInfiniteQuery({
    ...trpc.outcomes.patients.infiniteQueryOptions(
      { measure, window: filters.window, definition: filters.definition, filters: filtersInput(filters), group: group ?? undefined, limit: PAGE_SIZE },
      { getNextPageParam: (last) => last.next ?? undefined },
    ),
    // Patient-level: a previous list never stands in for another selection.
    placeholderData: undefined,
  });
  return (
    <Card
      className="patients-card"
      title={`Patients: ${groupLabel}`}
      subtitle={
        physician
          ? 'Your patients only: the episodes of this group where you are the provider, newest first.'
          : 'Every episode of this group, newest first.'
      }
      actions={
        <button type="button" className="button button--small" onClick={onClose}>
          Close
        </button>
      }
      footnote="Patient-level data: every view of this list and of a timeline is recorded in the audit log. Scores shown are those the figures use: the baseline and the score counted in the window."
    >
      <QueryState
        query={patients}
        errorTitle="Could not load the patients"
        loading={<LoadingState variant="table" count={6} label="Loading the patients" />}
        isEmpty={(d) => d.pages[0]!.rows.length === 0}
        empty={<EmptyState title="No episodes to list">{physician ? 'None of this group’s episodes are yours.' : 'No episodes match.'}</EmptyState>}
      >
        {(d) => {
          const rows = d.pages.flatMap((p) => p.rows);
          return (
            <>
              <PatientTable rows={rows} unit={changeUnit(measure)} windowLabel={windowLabel(filters.window)} onOpen={onOpen} openId={filters.episode} />
              <div className="table__more">
                <span className="muted" aria-live="polite">
                  {patients.hasNextPage
                    ? `The newest ${rows.length.toLocaleString('en-US')} episodes shown; older ones follow.`
                    : `All ${rows.length.toLocaleString('en-US')} episode${rows.length === 1 ? '' : 's'} shown.`}
                </span>
                {patients.hasNextPage ? (
                  <button
                    type="button"
                    className="button button--small"
                    onClick={() => void patients.fetchNextPage()}
                    disabled={patients.isFetchingNextPage}
                    aria-busy={patients.isFetchingNextPage}
                  >
                    {patients.isFetchingNextPage ? 'Loading…' : `Show ${PAGE_SIZE} more`}
                  </button>
                ) : null}
              </div>
            </>
          );
        }}
      </QueryState>
      {filters.episode ? <TimelinePanel episodeId={filters.episode} /> : null}
    </Card>
  );
}

function TimelinePanel({ episodeId }: { episodeId: number }) {
  const trpc = useTRPC();
  // Never show one patient's timeline while another's loads.
  const timeline = useQuery(trpc.outcomes.patientTimeline.queryOptions({ episodeId }, { placeholderData: undefined }));
  return (
    <section className="timeline" aria-label="Episode timeline">
      <QueryState query={timeline} errorTitle="Could not load this episode" loading={<LoadingState variant="chart" label="Loading the timeline" />}>
        {(t) => <TimelineContent t={t} />}
      </QueryState>
    </section>
  );
}

function TimelineContent({ t }: { t: Timeline }) {
  const measures = timelineMeasures(t);
  const [measure, setMeasure] = useState<Measure>((measures.includes('pain_nrs') ? 'pain_nrs' : (measures[0] ?? 'pain_nrs')) as Measure);
  const e = t.episode;
  return (
    <>
      <h3 className="timeline__title">
        Timeline: {e.mrn}, episode of {formatIsoDate(e.indexDate)}
      </h3>
      <dl className="facts facts--compact">
        <div>
          <dt>Patient</dt>
          <dd>
            {e.age ?? '—'} years, {e.sex ?? '—'}
          </dd>
        </div>
        <div>
          <dt>Condition</dt>
          <dd>
            {e.condition} <span className="mono">{e.conditionCode}</span>
          </dd>
        </div>
        <div>
          <dt>Care path</dt>
          <dd>
            {e.carePath}: {e.category}
            {e.code ? <span className="mono"> {e.code}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Provider</dt>
          <dd>
            {e.provider}, {e.site}
          </dd>
        </div>
        <div>
          <dt>Pain before index</dt>
          <dd>{e.painDurationMonths === null ? '—' : `${e.painDurationMonths} months`}</dd>
        </div>
      </dl>
      {measures.length > 1 ? (
        <div className="segmented segmented--inline" role="radiogroup" aria-label="Measure shown">
          {measures.map((m) => (
            <label key={m} className="segmented__option">
              <input type="radio" name="timeline-measure" checked={measure === m} onChange={() => setMeasure(m as Measure)} />
              <span>{MEASURES[m as Measure].label}</span>
            </label>
          ))}
        </div>
      ) : null}
      {measures.length ? (
        <Suspense fallback={<LoadingState variant="chart" label="Loading the chart" />}>
          <TimelineChart timeline={t} measure={measure} />
        </Suspense>
      ) : (
        <p className="muted">No scores recorded for this episode.</p>
      )}
      <p className="footnote">
        Shaded: the baseline period and the follow-up windows. Filled points are the scores the figures count (the baseline and the score nearest each window’s
        target); dashed lines are treatments.
      </p>
      <div className="timeline__lists">
        <div>
          <h4>Treatments</h4>
          <ul className="plain-list">
            {t.treatments.map((x, i) => (
              <li key={i}>
                <span className="nowrap">{formatIsoDate(x.date)}</span> (day {x.day}): {x.category}
                {x.code ? <span className="mono"> {x.code}</span> : null}
                {x.complication && x.complication !== 'none' ? <strong> — {x.complication} complication</strong> : null}
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h4>Scores</h4>
          <ul className="plain-list">
            {t.observations.map((o, i) => (
              <li key={i}>
                <span className="nowrap">{formatIsoDate(o.date)}</span> (day {o.day}): {MEASURES[o.measure].label} {o.value}
                {o.counted ? <em> — {o.counted === 'baseline' ? 'baseline' : `counted at ${windowLabel(o.counted)}`}</em> : null}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </>
  );
}
