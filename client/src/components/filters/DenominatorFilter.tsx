import { DENOMINATORS, DENOMINATOR_LABELS, type Denominator } from '../../data/outcomes.ts';

type Props = {
  legend: string;
  value: Denominator;
  onChange: (denominator: Denominator) => void;
};

/** The responder-rate denominator, as radio buttons (URL key `denominator`). */
export function DenominatorFilter({ legend, value, onChange }: Props) {
  return (
    <fieldset className="filter segmented">
      <legend className="filter__label">{legend}</legend>
      <div className="segmented__options">
        {DENOMINATORS.map((d) => (
          <label key={d} className="segmented__option">
            <input type="radio" name="denominator" checked={value === d} onChange={() => onChange(d as Denominator)} />
            <span>{DENOMINATOR_LABELS[d]}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
