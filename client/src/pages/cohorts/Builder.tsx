import type { UseQueryResult } from '@tanstack/react-query';
import { Card } from '../../components/ui/Card.tsx';
import { Definition } from '../../components/ui/Definition.tsx';
import { ErrorState } from '../../components/ui/ErrorState.tsx';
import { countText, CRITERION_LABELS, CRITERION_TYPES, funnelRows, newCriterion, type Criterion, type CriterionType, type Definition as CohortDefinition, type Funnel } from '../../data/cohorts.ts';
import { CriterionEditor } from './CriterionEditor.tsx';

type Props = {
  definition: CohortDefinition;
  onChange: (d: CohortDefinition) => void;
  funnel: UseQueryResult<Funnel, unknown>;
  suppressed: boolean;
};

/** The criteria in order, each with its editor and the counts remaining after it: the attrition funnel. */
export function Builder({ definition, onChange, funnel, suppressed }: Props) {
  const rows = funnelRows(definition, funnel.data);
  const set = (i: number, c: Criterion) => onChange({ ...definition, criteria: definition.criteria.map((x, k) => (k === i ? c : x)) });
  const remove = (i: number) => onChange({ ...definition, criteria: definition.criteria.filter((_, k) => k !== i) });
  const move = (i: number, by: -1 | 1) => {
    const next = [...definition.criteria];
    const [c] = next.splice(i, 1);
    next.splice(i + by, 0, c!);
    onChange({ ...definition, criteria: next });
  };
  const add = (type: CriterionType) => onChange({ ...definition, criteria: [...definition.criteria, newCriterion(type)] });
  const f = funnel.data;
  const updating = funnel.isFetching;

  return (
    <Card
      title="Criteria and attrition"
      subtitle="Applied in order to every episode of care in the practice; the counts are what remains after each step."
      actions={
        <Definition of="the funnel">
          A cohort is a set of episodes of care (one patient can have several). Each criterion keeps (include) or removes (exclude) the episodes it matches, in the
          order shown; the numbers are the episodes and distinct patients left after that step, and how many episodes it removed.
          {suppressed ? ' Counts from 1 to 10, and counts that would let one be worked out, are withheld ("<11", "—").' : ''}
        </Definition>
      }
      footnote={
        f ? (
          <>
            Counts of the derived outcome tables{f.updating ? ', which are still catching up with the latest import: figures updating' : ''}. Data state: change-log position {f.dataState.outcomeSeq}
            {f.dataState.lastImportId !== null ? `, import #${f.dataState.lastImportId}` : ''}.
          </>
        ) : null
      }
    >
      {funnel.isError ? <ErrorState inline title="Could not count the cohort" error={funnel.error} onRetry={() => void funnel.refetch()} retrying={funnel.isFetching} /> : null}
      <ol className={updating ? 'funnel is-updating' : 'funnel'} aria-busy={updating}>
        <li className="funnel__row funnel__row--start">
          <div className="funnel__what">
            <span className="funnel__step">Start</span> Every episode in the practice
          </div>
          <div className="funnel__counts" data-testid="funnel-start">
            <strong>{f ? countText(f.start.episodes) : '…'}</strong> episodes · {f ? countText(f.start.patients) : '…'} patients
          </div>
          <div className="funnel__bar" aria-hidden="true">
            <span style={{ width: '100%' }} />
          </div>
        </li>
        {definition.criteria.map((c, i) => {
          const r = rows[i]!;
          return (
            <li key={i} className={`funnel__row${c.exclude ? ' is-exclude' : ''}${r.incomplete ? ' is-incomplete' : ''}`} data-testid="criterion">
              <div className="funnel__what">
                <div className="funnel__head">
                  <span className="funnel__step">{r.step ?? '–'}</span>
                  <select aria-label="Include or exclude" value={c.exclude ? 'exclude' : 'include'} onChange={(e) => set(i, { ...c, exclude: e.target.value === 'exclude' })}>
                    <option value="include">Include</option>
                    <option value="exclude">Exclude</option>
                  </select>
                  <strong>{CRITERION_LABELS[c.type]}</strong>
                  <span className="funnel__tools">
                    <button type="button" className="icon-button" aria-label="Move up" disabled={i === 0} onClick={() => move(i, -1)}>
                      ↑
                    </button>
                    <button type="button" className="icon-button" aria-label="Move down" disabled={i === definition.criteria.length - 1} onClick={() => move(i, 1)}>
                      ↓
                    </button>
                    <button type="button" className="icon-button" aria-label={`Remove ${CRITERION_LABELS[c.type]}`} onClick={() => remove(i)}>
                      ✕
                    </button>
                  </span>
                </div>
                <div className="criterion">
                  <CriterionEditor criterion={c} onChange={(n) => set(i, n)} />
                </div>
                <p className="funnel__sentence">{r.incomplete ? <span className="funnel__incomplete">Not applied: {r.incomplete}.</span> : r.sentence}</p>
              </div>
              <div className="funnel__counts" data-testid="funnel-count">
                <strong>{r.episodes}</strong> episodes · {r.patients} patients
                <span className="funnel__removed">{r.step ? `${r.removed} removed` : ''}</span>
              </div>
              <div className="funnel__bar" aria-hidden="true">
                <span style={{ width: `${Math.max(0, Math.min(1, r.share ?? 0)) * 100}%` }} />
              </div>
            </li>
          );
        })}
      </ol>
      <div className="funnel__add">
        <label>
          <span>Add a criterion</span>{' '}
          <select
            aria-label="Add a criterion"
            value=""
            onChange={(e) => {
              if (e.target.value) add(e.target.value as CriterionType);
            }}
          >
            <option value="">Choose…</option>
            {CRITERION_TYPES.map((t) => (
              <option key={t} value={t}>
                {CRITERION_LABELS[t]}
              </option>
            ))}
          </select>
        </label>
        {f ? (
          <p className="funnel__final" data-testid="funnel-final">
            Cohort: <strong>{countText(f.final.episodes)}</strong> episodes of <strong>{countText(f.final.patients)}</strong> patients
          </p>
        ) : null}
      </div>
    </Card>
  );
}
