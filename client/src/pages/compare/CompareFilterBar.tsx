import { CategoryFilter } from '../../components/filters/CategoryFilter.tsx';
import { ConditionFilter } from '../../components/filters/ConditionFilter.tsx';
import { IndexDateFilter } from '../../components/filters/IndexDateFilter.tsx';
import { DenominatorFilter } from '../../components/filters/DenominatorFilter.tsx';
import { ProviderFilter } from '../../components/filters/ProviderFilter.tsx';
import { ResetFilters } from '../../components/filters/ResetFilters.tsx';
import { OutcomeMeasureSelects } from '../../components/filters/OutcomeMeasureSelects.tsx';
import { SiteFilter } from '../../components/filters/SiteFilter.tsx';
import type { ComparePageFilters } from '../../data/compare.ts';
import type { FilterOptions, OutcomeMeasure } from '../../data/outcomes.ts';

type Props = {
  filters: ComparePageFilters;
  options: FilterOptions | undefined;
  onChange: (patch: Partial<ComparePageFilters>) => void;
  onReset: () => void;
  isDefault: boolean;
};

/**
 * Who is compared (condition, category, provider, site, index dates: the same
 * URL keys as the Outcomes page) and on what (measure, window, responder
 * definition, denominator). No care-path filter: both paths are compared.
 */
export function CompareFilterBar({ filters, options, onChange, onReset, isDefault }: Props) {
  return (
    <form className="filter-bar" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <div className="filter-bar__row">
        <ConditionFilter options={options} value={filters.condition} onChange={(condition) => onChange({ condition })} />
        <CategoryFilter options={options} carePath={null} value={filters.category} onChange={(category) => onChange({ category })} />
        <ProviderFilter options={options} value={filters.provider} onChange={(provider) => onChange({ provider })} />
        <SiteFilter options={options} value={filters.site} onChange={(site) => onChange({ site })} />
        <IndexDateFilter options={options} from={filters.from} to={filters.to} onChange={onChange} />
      </div>
      <div className="filter-bar__row">
        <OutcomeMeasureSelects
          idPrefix="compare"
          measure={filters.measure as OutcomeMeasure}
          window={filters.window}
          definition={filters.definition}
          onChange={onChange}
        />
        <DenominatorFilter legend="Responder denominator" value={filters.denominator} onChange={(denominator) => onChange({ denominator })} />
        <ResetFilters isDefault={isDefault} onReset={onReset} />
      </div>
    </form>
  );
}
