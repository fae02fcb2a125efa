import type { FilterOptions } from '../../data/outcomes.ts';
import { DateRangeFilter } from './DateRangeFilter.tsx';

type Props = {
  options: FilterOptions | undefined;
  from: string | null;
  to: string | null;
  onChange: (patch: { from?: string | null; to?: string | null }) => void;
};

/** The index-date range (URL keys `from` and `to`), bounded by the practice's first and last index dates. */
export function IndexDateFilter({ options, from, to, onChange }: Props) {
  return (
    <DateRangeFilter
      legend="Index dates"
      label="Index date"
      from={from}
      to={to}
      min={options?.firstIndexDate ?? undefined}
      max={options?.lastIndexDate ?? undefined}
      onChange={onChange}
    />
  );
}
