import type { CarePath } from '../../../../db/schema/vocabulary.ts';

type Props = {
  value: CarePath | null;
  onChange: (carePath: CarePath | null) => void;
};

/** Both / Interventional / Conservative, as radio buttons (URL key `carePath`). */
export function CarePathFilter({ value, onChange }: Props) {
  return (
    <fieldset className="filter segmented">
      <legend className="filter__label">Care path</legend>
      <div className="segmented__options">
        {([null, 'interventional', 'conservative'] as const).map((p) => (
          <label key={p ?? 'all'} className="segmented__option">
            <input type="radio" name="carePath" checked={value === p} onChange={() => onChange(p as CarePath | null)} />
            <span>{p === null ? 'Both' : p === 'interventional' ? 'Interventional' : 'Conservative'}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
