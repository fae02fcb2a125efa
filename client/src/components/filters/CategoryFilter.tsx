import type { CarePath, TreatmentCategory } from '../../../../db/schema/vocabulary.ts';
import type { FilterOptions } from '../../data/outcomes.ts';
import { MultiSelect } from './MultiSelect.tsx';

type Props = {
  options: FilterOptions | undefined;
  /** Offer only this care path's categories (null: both). */
  carePath: CarePath | null;
  value: readonly TreatmentCategory[];
  onChange: (category: TreatmentCategory[]) => void;
  label?: string;
  allLabel?: string;
  /** Show each category's care path beside it. */
  hints?: boolean;
};

/** The treatment categories to include (URL key `category`); none means all. */
export function CategoryFilter({ options, carePath, value, onChange, label = 'Treatment category', allLabel = 'All categories', hints = true }: Props) {
  return (
    <MultiSelect
      label={label}
      allLabel={allLabel}
      options={(options?.categories ?? [])
        .filter((c) => carePath === null || c.carePath === carePath)
        .map((c) => ({ value: c.value as TreatmentCategory, label: c.label, hint: hints ? (c.carePath === 'interventional' ? 'procedure' : 'conservative') : undefined }))}
      value={value}
      onChange={onChange}
    />
  );
}
