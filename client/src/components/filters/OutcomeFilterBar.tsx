import type { FilterOptions, OutcomeMeasure, OutcomePageFilters } from '../../data/outcomes.ts';
import { CarePathFilter } from './CarePathFilter.tsx';
import { CategoryFilter } from './CategoryFilter.tsx';
import { ConditionFilter } from './ConditionFilter.tsx';
import { IndexDateFilter } from './IndexDateFilter.tsx';
import { DenominatorFilter } from './DenominatorFilter.tsx';
import { OutcomeMeasureSelects } from './OutcomeMeasureSelects.tsx';
import { ProviderFilter } from './ProviderFilter.tsx';
import { ResetFilters } from './ResetFilters.tsx';
import { SiteFilter } from './SiteFilter.tsx';

type Props = {
  filters: OutcomePageFilters;
  options: FilterOptions | undefined;
  onChange: (patch: Partial<OutcomePageFilters>) => void;
  onReset: () => void;
  isDefault: boolean;
};

/**
 * The Outcomes page's filters: who (care path, condition, category, provider,
 * site, index dates) and what (measure, window, responder definition,
 * denominator). Every change goes to the URL, so a view can be shared.
 */
export function OutcomeFilterBar({ filters, options, onChange, onReset, isDefault }: Props) {
  // Changing the selection of patients closes the list of a group that may no longer be in it.
  const who = (patch: Partial<OutcomePageFilters>) => onChange({ ...patch, group: '', episode: 0 });
  return (
    <form className="filter-bar" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <div className="filter-bar__row">
        <CarePathFilter value={filters.carePath} onChange={(carePath) => who({ carePath })} />
        <ConditionFilter options={options} value={filters.condition} onChange={(condition) => who({ condition })} />
        <CategoryFilter options={options} carePath={filters.carePath} value={filters.category} onChange={(category) => who({ category })} />
        <ProviderFilter options={options} value={filters.provider} onChange={(provider) => who({ provider })} />
        <SiteFilter options={options} value={filters.site} onChange={(site) => who({ site })} />
        <IndexDateFilter options={options} from={filters.from} to={filters.to} onChange={onChange} />
      </div>
      <div className="filter-bar__row">
        <OutcomeMeasureSelects
          idPrefix="outcomes"
          measure={filters.measure as OutcomeMeasure}
          window={filters.window}
          definition={filters.definition}
          onChange={onChange}
        />
        <DenominatorFilter legend="Denominator" value={filters.denominator} onChange={(denominator) => onChange({ denominator })} />
        <ResetFilters isDefault={isDefault} onReset={onReset} />
      </div>
    </form>
  );
}
