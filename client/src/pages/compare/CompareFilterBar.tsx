import type { ChangeEvent } from 'react';
import { FOLLOW_UP_WINDOW_NAMES, type ConditionGroup, type FollowUpWindow, type TreatmentCategory } from '../../../../db/schema/vocabulary.ts';
import { MultiSelect } from '../../components/filters/MultiSelect.tsx';
import type { ComparePageFilters } from '../../data/compare.ts';
import {
  DEFINITIONS_BY_MEASURE,
  DENOMINATORS,
  DENOMINATOR_LABELS,
  OUTCOME_MEASURES,
  definitionLabel,
  measureLabel,
  windowLabel,
  type Denominator,
  type FilterOptions,
  type OutcomeMeasure,
  type ResponderDefinition,
} from '../../data/outcomes.ts';

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
  const measure = filters.measure as OutcomeMeasure;
  const date = (key: 'from' | 'to') => (e: ChangeEvent<HTMLInputElement>) => onChange({ [key]: e.target.value || null });
  return (
    <form className="filter-bar" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <div className="filter-bar__row">
        <MultiSelect
          label="Condition"
          allLabel="All conditions"
          options={(options?.conditions ?? []).map((c) => ({ value: c.value as ConditionGroup, label: c.label }))}
          value={filters.condition}
          onChange={(condition) => onChange({ condition })}
        />
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
        <MultiSelect
          label="Site"
          allLabel="All sites"
          options={(options?.sites ?? []).map((s) => ({ value: s.id, label: s.name }))}
          value={filters.site}
          onChange={(site) => onChange({ site })}
        />
        <fieldset className="filter">
          <legend className="filter__label">Index dates</legend>
          <div className="filter__range">
            <input aria-label="Index date from" className="field__input filter__date" type="date" value={filters.from ?? ''} onChange={date('from')} />
            <span aria-hidden="true">to</span>
            <input aria-label="Index date to" className="field__input filter__date" type="date" value={filters.to ?? ''} onChange={date('to')} />
          </div>
        </fieldset>
      </div>
      <div className="filter-bar__row">
        <div className="filter">
          <label className="filter__label" htmlFor="compare-measure">
            Outcome measure
          </label>
          <select
            id="compare-measure"
            className="field__input"
            value={measure}
            onChange={(e) => {
              const next = e.target.value as OutcomeMeasure;
              const allowed = DEFINITIONS_BY_MEASURE[next];
              onChange({ measure: next, definition: allowed.includes(filters.definition) ? filters.definition : allowed[0]! });
            }}
          >
            {OUTCOME_MEASURES.map((m) => (
              <option key={m} value={m}>
                {measureLabel(m)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label className="filter__label" htmlFor="compare-window">
            Follow-up window
          </label>
          <select id="compare-window" className="field__input" value={filters.window} onChange={(e) => onChange({ window: e.target.value as FollowUpWindow })}>
            {FOLLOW_UP_WINDOW_NAMES.map((w) => (
              <option key={w} value={w}>
                {windowLabel(w)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label className="filter__label" htmlFor="compare-definition">
            Responder definition
          </label>
          <select id="compare-definition" className="field__input" value={filters.definition} onChange={(e) => onChange({ definition: e.target.value as ResponderDefinition })}>
            {DEFINITIONS_BY_MEASURE[measure].map((d) => (
              <option key={d} value={d}>
                {definitionLabel(d, measure)}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="filter segmented">
          <legend className="filter__label">Responder denominator</legend>
          <div className="segmented__options">
            {DENOMINATORS.map((d) => (
              <label key={d} className="segmented__option">
                <input type="radio" name="denominator" checked={filters.denominator === d} onChange={() => onChange({ denominator: d as Denominator })} />
                <span>{DENOMINATOR_LABELS[d]}</span>
              </label>
            ))}
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
