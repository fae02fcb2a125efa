import { useQuery } from '@tanstack/react-query';
import { PageHeader } from '../components/ui/PageHeader.tsx';
import { seesSuppressedCounts } from '../data/access.ts';
import { followUpInput, opsFilters, OPERATIONS_FILTERS } from '../data/operations.ts';
import { definitionLabel, measureLabel, windowLabel, type OutcomeMeasure } from '../data/outcomes.ts';
import { useSignedInUser } from '../hooks/useSession.ts';
import { useUrlFilters } from '../hooks/useUrlFilters.ts';
import { sectionOf } from '../sections.ts';
import { useTRPC } from '../trpc.ts';
import { FollowUpSection } from './operations/FollowUpSection.tsx';
import { OpsFilterBar } from './operations/OpsFilterBar.tsx';
import { RepeatsSection } from './operations/RepeatsSection.tsx';
import { VolumeSection } from './operations/VolumeSection.tsx';
import './outcomes/outcomes.css';
import './operations/operations.css';

/**
 * The Operations page (issue 6): procedure volume, repeats and payer rules,
 * follow-up survey completion, and the provider / site comparison, under the
 * practice filters shared with the other pages (in the URL).
 */
export function OperationsPage() {
  const trpc = useTRPC();
  const me = useSignedInUser();
  const { filters, setFilters, resetFilters, isDefault } = useUrlFilters(OPERATIONS_FILTERS);
  const where = opsFilters(filters);
  const fu = followUpInput(filters);
  const ownProvider = me.role === 'physician' ? (me.providerId ?? null) : null;
  const canList = me.role === 'admin' || (me.role === 'physician' && me.providerId !== null);
  const suppressedOutcomes = seesSuppressedCounts(me.role);
  const suppressedVolume = me.role === 'researcher';

  const options = useQuery(trpc.outcomes.filterOptions.queryOptions());
  const codes = useQuery(trpc.operations.codeOptions.queryOptions());
  const volume = useQuery(trpc.operations.volume.queryOptions({ filters: where, period: filters.period, by: filters.by, unit: filters.unit }));
  const movers = useQuery(trpc.operations.movers.queryOptions({ filters: where, period: filters.period === 'day' ? 'week' : filters.period, unit: filters.unit }));
  const calendar = useQuery(trpc.operations.calendar.queryOptions({ filters: where, year: filters.year || null }));
  const mix = useQuery(trpc.operations.mix.queryOptions({ filters: where, period: 'quarter' }));
  const repeats = useQuery(trpc.operations.repeats.queryOptions({ filters: where }));
  const followUp = useQuery(trpc.operations.followUp.queryOptions(fu));
  const comparison = useQuery(trpc.operations.comparison.queryOptions(fu));

  const measure = fu.measure as OutcomeMeasure;
  const window = windowLabel(filters.window);
  return (
    <>
      <PageHeader title="Operations" summary={sectionOf('/operations')?.summary} />
      <OpsFilterBar filters={filters} options={options.data} codes={codes.data} ownProvider={ownProvider} onChange={(patch) => setFilters(patch)} onReset={() => resetFilters()} isDefault={isDefault} />
      <p className="scope-line" aria-live="polite">
        Procedures: interventional treatments, counted by procedure date. Episodes: by index date.
        {ownProvider !== null ? ' You see your own figures by name and the rest of the practice combined.' : null}
        {suppressedVolume ? ' Counts from 1 to 10 are shown as “<11” for your role.' : suppressedOutcomes ? ' Follow-up and responder counts from 1 to 10 are shown as “<11” for your role; procedure counts are shown in full.' : null}
        {volume.data?.updating ? ' Figures are being brought up to date with the latest import.' : null}
      </p>
      <VolumeSection filters={filters} setFilters={(patch) => setFilters(patch)} volume={volume} calendar={calendar} movers={movers} mix={mix} />
      <RepeatsSection repeats={repeats} filters={where} canList={canList} />
      <FollowUpSection
        filters={filters}
        setFilters={(patch) => setFilters(patch)}
        followUp={followUp}
        comparison={comparison}
        windowLabel={window}
        measureLabel={measureLabel(measure)}
        definitionLabel={definitionLabel(fu.definition, measure)}
        suppressed={suppressedOutcomes}
      />
    </>
  );
}
