import type { ChangeEvent } from 'react';
import { FOLLOW_UP_WINDOW_NAMES, type CarePath, type ConditionGroup, type FollowUpWindow, type TreatmentCategory } from '../../../../db/schema/vocabulary.ts';
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
  type OutcomePageFilters,
  type ResponderDefinition,
} from '../../data/outcomes.ts';
import { MultiSelect } from './MultiSelect.tsx';

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
  const measure = filters.measure as OutcomeMeasure;
  const date = (key: 'from' | 'to') => (e: ChangeEvent<HTMLInputElement>) => onChange({ [key]: e.target.value || null });
  // Changing the selection of patients closes the list of a group that may no longer be in it.
  const who = (patch: Partial<OutcomePageFilters>) => onChange({ ...patch, group: '', episode: 0 });
  return (
    <form className="filter-bar" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <div className="filter-bar__row">
        <fieldset className="filter segmented">
          <legend className="filter__label">Care path</legend>
          <div className="segmented__options">
          {([null, 'interventional', 'conservative'] as const).map((p) => (
            <label key={p ?? 'all'} className="segmented__option">
              <input type="radio" name="carePath" checked={filters.carePath === p} onChange={() => who({ carePath: p as CarePath | null })} />
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
          onChange={(condition) => who({ condition })}
        />
        <MultiSelect
          label="Treatment category"
          allLabel="All categories"
          options={(options?.categories ?? [])
            .filter((c) => filters.carePath === null || c.carePath === filters.carePath)
            .map((c) => ({ value: c.value as TreatmentCategory, label: c.label, hint: c.carePath === 'interventional' ? 'procedure' : 'conservative' }))}
          value={filters.category}
          onChange={(category) => who({ category })}
        />
        <MultiSelect
          label="Provider"
          allLabel="All providers"
          options={(options?.providers ?? []).map((p) => ({ value: p.id, label: p.name }))}
          value={filters.provider}
          onChange={(provider) => who({ provider })}
        />
        <MultiSelect
          label="Site"
          allLabel="All sites"
          options={(options?.sites ?? []).map((s) => ({ value: s.id, label: s.name }))}
          value={filters.site}
          onChange={(site) => who({ site })}
        />
        <fieldset className="filter">
          <legend className="filter__label">Index dates</legend>
          <div className="filter__range">
            <input
              aria-label="Index date from"
              className="field__input filter__date"
              type="date"
              value={filters.from ?? ''}
              min={options?.firstIndexDate ?? undefined}
              max={options?.lastIndexDate ?? undefined}
              onChange={date('from')}
            />
            <span aria-hidden="true">to</span>
            <input
              aria-label="Index date to"
              className="field__input filter__date"
              type="date"
              value={filters.to ?? ''}
              min={options?.firstIndexDate ?? undefined}
              max={options?.lastIndexDate ?? undefined}
              onChange={date('to')}
            />
          </div>
        </fieldset>
      </div>
      <div className="filter-bar__row">
        <div className="filter">
          <label className="filter__label" htmlFor="outcomes-measure">
            Outcome measure
          </label>
          <select
            id="outcomes-measure"
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
          <label className="filter__label" htmlFor="outcomes-window">
            Follow-up window
          </label>
          <select id="outcomes-window" className="field__input" value={filters.window} onChange={(e) => onChange({ window: e.target.value as FollowUpWindow })}>
            {FOLLOW_UP_WINDOW_NAMES.map((w) => (
              <option key={w} value={w}>
                {windowLabel(w)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label className="filter__label" htmlFor="outcomes-definition">
            Responder definition
          </label>
          <select
            id="outcomes-definition"
            className="field__input"
            value={filters.definition}
            onChange={(e) => onChange({ definition: e.target.value as ResponderDefinition })}
          >
            {DEFINITIONS_BY_MEASURE[measure].map((d) => (
              <option key={d} value={d}>
                {definitionLabel(d, measure)}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="filter segmented">
          <legend className="filter__label">Denominator</legend>
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
