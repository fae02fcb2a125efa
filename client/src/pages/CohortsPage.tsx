import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Card } from '../components/ui/Card.tsx';
import { EmptyState } from '../components/ui/EmptyState.tsx';
import { ErrorState } from '../components/ui/ErrorState.tsx';
import { PageHeader } from '../components/ui/PageHeader.tsx';
import { QueryState } from '../components/ui/QueryState.tsx';
import { seesSuppressedCounts } from '../data/access.ts';
import { applicable, COHORT_PAGE, countText, EMPTY_DEFINITION, OUTCOME_MEASURES, VOCABULARY, WINDOWS, type Definition } from '../data/cohorts.ts';
import { useSignedInUser } from '../hooks/useSession.ts';
import { useUrlFilters } from '../hooks/useUrlFilters.ts';
import { useTRPC } from '../trpc.ts';
import { Builder } from './cohorts/Builder.tsx';
import { ExportCard } from './cohorts/ExportCard.tsx';
import { OutcomeSummary } from './cohorts/OutcomeSummary.tsx';
import { SavedCohorts } from './cohorts/SavedCohorts.tsx';
import { TableOne } from './cohorts/TableOne.tsx';
import './cohorts/cohorts.css';

/** The value after it has stopped changing for `ms` (typing in a criterion sends one request, not one per key). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the content
  }, [key, ms]);
  return settled;
}

export function CohortsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useSignedInUser();
  const suppressed = seesSuppressedCounts(me.role);
  const { filters, setFilters } = useUrlFilters(COHORT_PAGE);
  const definition = filters.def;
  const cohortId = filters.cohort[0] ?? null;
  const compareId = filters.compare[0] ?? null;
  const setDefinition = (d: Definition) => setFilters({ def: d });

  const sent = useSettled(applicable(definition).definition, 250);
  const funnel = useQuery(trpc.cohorts.funnel.queryOptions({ definition: sent }));
  /** The cohort has no episode (a known 0: a withheld count is not empty). */
  const cohortEmpty = funnel.data?.final.episodes === 0;
  const list = useQuery(trpc.cohorts.list.queryOptions());
  const opened = useQuery({ ...trpc.cohorts.byId.queryOptions({ id: cohortId ?? 1 }), enabled: cohortId !== null, placeholderData: undefined });
  const rerun = useQuery({ ...trpc.cohorts.rerun.queryOptions({ id: cohortId ?? 1 }), enabled: cohortId !== null, placeholderData: undefined });
  const outcome = { measure: filters.measure, window: filters.window, definition: 'pct30' as const, denominator: 'complete_case' as const };
  const characterise = useQuery(trpc.cohorts.characterise.queryOptions({ definition: sent, outcome }));
  const compare = useQuery({
    ...trpc.cohorts.compare.queryOptions({ ids: [cohortId ?? 1, compareId ?? 1], outcome }),
    enabled: cohortId !== null && compareId !== null,
  });

  // A link with only ?cohort=N: load its criteria.
  useEffect(() => {
    if (opened.data && definition.criteria.length === 0 && opened.data.definition.criteria.length > 0) setFilters({ def: opened.data.definition });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [opened.data?.id]);

  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  useEffect(() => {
    if (opened.data) {
      setName(opened.data.name);
      setDescription(opened.data.description);
    }
  }, [opened.data?.id, opened.data?.revision]);

  const save = useMutation(
    trpc.cohorts.save.mutationOptions({
      onSuccess: async (saved) => {
        setFilters({ cohort: [saved.id], def: saved.definition }, { push: true });
        await queryClient.invalidateQueries({ queryKey: trpc.cohorts.pathKey() });
      },
    }),
  );
  const canRevise = opened.data !== undefined && (opened.data.mine || me.role === 'admin');
  const measureUnit = VOCABULARY.MEASURES[filters.measure].unit;
  const comparing = compareId !== null && cohortId !== null;
  const canIdentified = me.role === 'admin' || (me.role === 'researcher' && me.dataUseAgreement === true);

  return (
    <div className="page cohorts-page">
      <PageHeader
        title="Cohorts"
        summary="Define a study cohort from the practice's episodes of care, see who is in it and how they fared, and export it de-identified for analysis in R or Python."
      />
      <div className="cohorts-layout">
        <aside className="cohorts-layout__side">
          <SavedCohorts
            list={list}
            currentId={cohortId}
            compareId={compareId}
            onOpen={(c) => setFilters({ cohort: [c.id], def: c.definition, compare: [] }, { push: true })}
            onCompare={(c) => setFilters({ compare: c ? [c.id] : [] })}
            onNew={() => {
              setFilters({ cohort: [], def: EMPTY_DEFINITION, compare: [] }, { push: true });
              setName('');
              setDescription('');
            }}
          />
          <Card title={cohortId !== null ? 'This cohort' : 'Save this cohort'} subtitle="Saved with its criteria and the state of the data it ran on; the page's address shares it.">
            <form
              className="save-form"
              onSubmit={(e) => {
                e.preventDefault();
                const asNew = (e.nativeEvent as SubmitEvent).submitter?.getAttribute('value') === 'new';
                save.mutate({ id: !asNew && canRevise ? cohortId! : undefined, name, description, definition });
              }}
            >
              <label>
                <span>Name</span>
                <input type="text" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
              </label>
              <label>
                <span>Description</span>
                <textarea maxLength={2000} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
              </label>
              <div className="save-form__actions">
                {canRevise ? (
                  <button type="submit" className="button" value="revise" disabled={save.isPending || !name.trim()}>
                    Save revision {opened.data!.revision + 1}
                  </button>
                ) : null}
                <button type="submit" className={canRevise ? 'button button--quiet' : 'button'} value="new" disabled={save.isPending || !name.trim()}>
                  Save as a new cohort
                </button>
              </div>
              {save.isError ? <ErrorState inline title="Could not save the cohort" error={save.error} /> : null}
              {save.isSuccess ? (
                <p className="save-form__done" role="status">
                  Saved “{save.data.name}”, revision {save.data.revision}.
                </p>
              ) : null}
            </form>
            {opened.data && rerun.data ? (
              <p className="rerun" data-testid="rerun">
                {rerun.data.sameData
                  ? `Re-run on the same data as its last run: ${rerun.data.sameResult ? 'the same episodes' : 'different episodes (the definition changed since)'}.`
                  : `The data changed since its last run (${rerun.data.importsSince.length} import${rerun.data.importsSince.length === 1 ? '' : 's'} since); counts may differ from ${countText(opened.data.lastRun?.episodes)} episodes then.`}
              </p>
            ) : null}
          </Card>
        </aside>
        <div className="cohorts-layout__main">
          <Builder definition={definition} onChange={setDefinition} funnel={funnel} suppressed={suppressed} />
          <Card
            title={comparing && compare.data ? `${compare.data.cohorts[0].name} vs ${compare.data.cohorts[1].name}` : 'Who is in the cohort: Table 1 by care path'}
            subtitle={
              comparing
                ? 'Two saved cohorts side by side; the SMD is the first cohort against the second.'
                : 'Characteristics at the index date, interventional against conservative episodes, with standardised mean differences.'
            }
            actions={
              <div className="outcome-controls">
                <label>
                  <span>Outcome</span>
                  <select value={filters.measure} onChange={(e) => setFilters({ measure: e.target.value as (typeof OUTCOME_MEASURES)[number] })}>
                    {OUTCOME_MEASURES.map((m) => (
                      <option key={m} value={m}>
                        {VOCABULARY.MEASURES[m].label}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  <span>at</span>
                  <select value={filters.window} onChange={(e) => setFilters({ window: e.target.value as typeof filters.window })}>
                    {WINDOWS.map((w) => (
                      <option key={w} value={w}>
                        {VOCABULARY.FOLLOW_UP_WINDOWS[w].label}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
            }
            footnote={
              <>
                Change = baseline − follow-up (positive = better; PROMIS physical function reversed). Responders: ≥ 30 % reduction for pain, the MCID for ODI and PROMIS;
                complete cases. Means are of episodes with a value; counts are episodes; SMDs in red are 0.1 or more (imbalanced).
                {suppressed ? ' "<11": a count from 1 to 10, withheld; "—": withheld so that such a count cannot be worked out; no mean or SMD rests on a withheld count.' : ''}
                {comparing && compare.data ? ` The two cohorts share ${countText(compare.data.overlap)} episodes.` : ''}
              </>
            }
          >
            {comparing ? (
              <QueryState query={compare} errorTitle="Could not compare the cohorts">
                {(c) => (
                  <>
                    <TableOne table={c.table} caption="Table 1 of the two cohorts" />
                    <h3 className="cohort-subhead">Outcomes at {VOCABULARY.FOLLOW_UP_WINDOWS[filters.window].label}</h3>
                    <OutcomeSummary outcomes={c.outcomes} unit={measureUnit} />
                  </>
                )}
              </QueryState>
            ) : (
              <QueryState
                query={characterise}
                errorTitle="Could not describe the cohort"
                isEmpty={() => cohortEmpty}
                empty={
                  <EmptyState title="No episodes in this cohort">
                    {definition.criteria.length ? 'No episode meets every criterion: loosen or remove one.' : 'The practice has no episodes of care yet: import its records on the Data page.'}
                  </EmptyState>
                }
              >
                {(c) => (
                  <>
                    <TableOne table={c.table} caption="Table 1 by care path" />
                    <h3 className="cohort-subhead">Outcomes at {VOCABULARY.FOLLOW_UP_WINDOWS[filters.window].label}</h3>
                    <OutcomeSummary outcomes={c.outcomes} unit={measureUnit} />
                  </>
                )}
              </QueryState>
            )}
          </Card>
          <ExportCard definition={sent} cohortId={cohortId} canIdentified={canIdentified} empty={cohortEmpty} />
        </div>
      </div>
    </div>
  );
}
