import type { TreatmentCategory } from '../../../../db/schema/vocabulary.ts';
import { ConditionFilter } from '../../components/filters/ConditionFilter.tsx';
import { DateRangeFilter } from '../../components/filters/DateRangeFilter.tsx';
import { DenominatorFilter } from '../../components/filters/DenominatorFilter.tsx';
import { MultiSelect } from '../../components/filters/MultiSelect.tsx';
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
        <MultiSelect
          label="Treatment category"
          allLabel="All categories"
          options={(options?.categories ?? []).map((c) => ({ value: c.value as TreatmentCategory, label: c.label, hint: c.carePath === 'interventional' ? 'procedure' : 'conservative' }))}
          value={filters.category}
          onChange={(category) => onChange({ category })}
        />
        <MultiSelect
          label="Provider"
          allLabel="All providers"
          options={(options?.providers ?? []).map((p) => ({ value: p.id, label: p.name }))}
          value={filters.provider}
          onChange={(provider) => onChange({ provider })}
        />
        <SiteFilter options={options} value={filters.site} onChange={(site) => onChange({ site })} />
        <DateRangeFilter legend="Index dates" label="Index date" from={filters.from} to={filters.to} onChange={onChange} />
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
        {!isDefault ? (
          <button type="button" className="link-button filter-bar__reset" onClick={onReset}>
            Reset filters
          </button>
        ) : null}
      </div>
    </form>
  );
}
