import type { ChangeEvent } from 'react';
import type { CarePath, ConditionGroup, TreatmentCategory } from '../../../../db/schema/vocabulary.ts';
import { MultiSelect } from '../../components/filters/MultiSelect.tsx';
import type { OperationsPageFilters } from '../../data/operations.ts';
import type { FilterOptions } from '../../data/outcomes.ts';

type Props = {
  filters: OperationsPageFilters;
  options: FilterOptions | undefined;
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
export function OpsFilterBar({ filters, options, ownProvider, onChange, onReset, isDefault }: Props) {
  const date = (key: 'from' | 'to') => (e: ChangeEvent<HTMLInputElement>) => onChange({ [key]: e.target.value || null });
  const providers = (options?.providers ?? []).filter((p) => ownProvider === null || p.id === ownProvider);
  return (
    <form className="filter-bar" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <div className="filter-bar__row">
        <fieldset className="filter segmented">
          <legend className="filter__label">Care path</legend>
          <div className="segmented__options">
            {([null, 'interventional', 'conservative'] as const).map((p) => (
              <label key={p ?? 'all'} className="segmented__option">
                <input type="radio" name="carePath" checked={filters.carePath === p} onChange={() => onChange({ carePath: p as CarePath | null })} />
                <span>{p === null ? 'Both' : p === 'interventional' ? 'Interventional' : 'Conservative'}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <MultiSelect
          label="Condition"
          allLabel="All conditions"
          options={(options?.conditions ?? []).map((c) => ({ value: c.value as ConditionGroup, label: c.label }))}
          value={filters.condition}
          onChange={(condition) => onChange({ condition })}
        />
        <MultiSelect
          label="Procedure type"
          allLabel="All types"
          options={(options?.categories ?? [])
            .filter((c) => c.carePath === 'interventional')
            .map((c) => ({ value: c.value as TreatmentCategory, label: c.label }))}
          value={filters.category}
          onChange={(category) => onChange({ category })}
        />
        <MultiSelect
          label="CPT code"
          allLabel="All codes"
          options={(options?.codes ?? []).map((c) => ({ value: c.value, label: c.label }))}
          value={filters.code}
          onChange={(code) => onChange({ code })}
        />
        <MultiSelect
          label="Provider"
          allLabel={ownProvider === null ? 'All providers' : 'Whole practice'}
          options={providers.map((p) => ({ value: p.id, label: p.name }))}
          value={filters.provider}
          onChange={(provider) => onChange({ provider })}
        />
        <MultiSelect
          label="Site"
          allLabel="All sites"
          options={(options?.sites ?? []).map((s) => ({ value: s.id, label: s.name }))}
          value={filters.site}
          onChange={(site) => onChange({ site })}
        />
        <fieldset className="filter">
          <legend className="filter__label">Dates</legend>
          <div className="filter__range">
            <input aria-label="Date from" className="field__input filter__date" type="date" value={filters.from ?? ''} onChange={date('from')} />
            <span aria-hidden="true">to</span>
            <input aria-label="Date to" className="field__input filter__date" type="date" value={filters.to ?? ''} onChange={date('to')} />
          </div>
        </fieldset>
        {!isDefault ? (
          <button type="button" className="link-button filter-bar__reset" onClick={onReset}>
            Reset filters
          </button>
        ) : null}
      </div>
    </form>
  );
}
