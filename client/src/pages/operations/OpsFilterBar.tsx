import { CarePathFilter } from '../../components/filters/CarePathFilter.tsx';
import { CategoryFilter } from '../../components/filters/CategoryFilter.tsx';
import { ConditionFilter } from '../../components/filters/ConditionFilter.tsx';
import { DateRangeFilter } from '../../components/filters/DateRangeFilter.tsx';
import { MultiSelect } from '../../components/filters/MultiSelect.tsx';
import { ProviderFilter } from '../../components/filters/ProviderFilter.tsx';
import { ResetFilters } from '../../components/filters/ResetFilters.tsx';
import { SiteFilter } from '../../components/filters/SiteFilter.tsx';
import type { OperationsPageFilters } from '../../data/operations.ts';
import type { FilterOptions } from '../../data/outcomes.ts';

type Props = {
  filters: OperationsPageFilters;
  options: FilterOptions | undefined;
  /** Every code on a procedure line, add-on codes included (operations.codeOptions); the Outcomes options' primary codes until it answers. */
  codes: Array<{ value: string; label: string }> | undefined;
  /** A physician's own provider id: the provider choice is theirs alone (roles.md). */
  ownProvider: number | null;
  onChange: (patch: Partial<OperationsPageFilters>) => void;
  onReset: () => void;
  isDefault: boolean;
};

/**
 * The practice filters shared with the Outcomes page (care path, condition,
 * procedure type, provider, site, dates), plus CPT codes. Procedure figures
 * read the dates as procedure dates, episode figures as index dates.
 */
export function OpsFilterBar({ filters, options, codes, ownProvider, onChange, onReset, isDefault }: Props) {
  return (
    <form className="filter-bar" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <div className="filter-bar__row">
        <CarePathFilter value={filters.carePath} onChange={(carePath) => onChange({ carePath })} />
        <ConditionFilter options={options} value={filters.condition} onChange={(condition) => onChange({ condition })} />
        <CategoryFilter options={options} carePath="interventional" hints={false} label="Procedure type" allLabel="All types" value={filters.category} onChange={(category) => onChange({ category })} />
        <MultiSelect
          label="CPT code"
          allLabel="All codes"
          options={(codes ?? options?.codes ?? []).map((c) => ({ value: c.value, label: c.label }))}
          value={filters.code}
          onChange={(code) => onChange({ code })}
        />
        <ProviderFilter options={options} ownProvider={ownProvider} value={filters.provider} onChange={(provider) => onChange({ provider })} />
        <SiteFilter options={options} value={filters.site} onChange={(site) => onChange({ site })} />
        <DateRangeFilter legend="Dates" label="Date" from={filters.from} to={filters.to} onChange={onChange} />
        <ResetFilters isDefault={isDefault} onReset={onReset} />
      </div>
    </form>
  );
}
