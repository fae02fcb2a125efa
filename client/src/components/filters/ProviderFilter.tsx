import type { FilterOptions } from '../../data/outcomes.ts';
import { MultiSelect } from './MultiSelect.tsx';

type Props = {
  options: FilterOptions | undefined;
  value: readonly number[];
  onChange: (provider: number[]) => void;
  /** A physician's own provider id: the only one offered by name, the rest being the practice combined (roles.md). */
  ownProvider?: number | null;
};

/** The providers to include (URL key `provider`); none means all. */
export function ProviderFilter({ options, value, onChange, ownProvider = null }: Props) {
  return (
    <MultiSelect
      label="Provider"
      allLabel={ownProvider === null ? 'All providers' : 'Whole practice'}
      options={(options?.providers ?? []).filter((p) => ownProvider === null || p.id === ownProvider).map((p) => ({ value: p.id, label: p.name }))}
      value={value}
      onChange={onChange}
    />
  );
}
