import type { ChangeEvent } from 'react';

type Props = {
  /** The fieldset's legend, e.g. "Index dates". */
  legend: string;
  /** The inputs are labelled "<label> from" and "<label> to", e.g. "Index date". */
  label: string;
  from: string | null;
  to: string | null;
  min?: string | undefined;
  max?: string | undefined;
  onChange: (patch: { from?: string | null; to?: string | null }) => void;
};

/** A from–to pair of date inputs (URL keys `from` and `to`); an emptied input is null. */
export function DateRangeFilter({ legend, label, from, to, min, max, onChange }: Props) {
  const date = (key: 'from' | 'to') => (e: ChangeEvent<HTMLInputElement>) => onChange({ [key]: e.target.value || null });
  return (
    <fieldset className="filter">
      <legend className="filter__label">{legend}</legend>
      <div className="filter__range">
        <input aria-label={`${label} from`} className="field__input filter__date" type="date" value={from ?? ''} min={min} max={max} onChange={date('from')} />
        <span aria-hidden="true">to</span>
        <input aria-label={`${label} to`} className="field__input filter__date" type="date" value={to ?? ''} min={min} max={max} onChange={date('to')} />
      </div>
    </fieldset>
  );
}
