import type { ConditionGroup } from '../../../../db/schema/vocabulary.ts';
import type { FilterOptions } from '../../data/outcomes.ts';
import { MultiSelect } from './MultiSelect.tsx';

type Props = {
  options: FilterOptions | undefined;
  value: readonly ConditionGroup[];
  onChange: (condition: ConditionGroup[]) => void;
};

/** The condition groups to include (URL key `condition`); none means all. */
export function ConditionFilter({ options, value, onChange }: Props) {
  return (
    <MultiSelect
      label="Condition"
      allLabel="All conditions"
      options={(options?.conditions ?? []).map((c) => ({ value: c.value as ConditionGroup, label: c.label }))}
      value={value}
      onChange={onChange}
    />
  );
}
