import type { FilterOptions } from '../../data/outcomes.ts';
import { MultiSelect } from './MultiSelect.tsx';

type Props = {
  options: FilterOptions | undefined;
  value: readonly number[];
  onChange: (site: number[]) => void;
};

/** The practice sites to include (URL key `site`); none means all. */
export function SiteFilter({ options, value, onChange }: Props) {
  return (
    <MultiSelect
      label="Site"
      allLabel="All sites"
      options={(options?.sites ?? []).map((s) => ({ value: s.id, label: s.name }))}
      value={value}
      onChange={onChange}
    />
  );
}
