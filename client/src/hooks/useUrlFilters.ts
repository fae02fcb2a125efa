import { useCallback, useEffect, useMemo, useRef } from 'react';
import { useSearchParams } from 'react-router';
import {
  defaultFilters,
  filterSearch,
  parseFilters,
  updateBase,
  writeFilters,
  type PendingSearch,
  type FilterFields,
  type FilterSchema,
  type FilterValues,
} from '../data/url-filters.ts';

export type FilterPatch<V> = Partial<V> | ((current: V) => Partial<V>);
export type SetFiltersOptions = {
  /**
   * Add a history entry (default false). Filter changes replace the current
   * entry, so Back leaves the page instead of undoing one click at a time; a
   * deliberate "view" change (opening a group) can push.
   */
  push?: boolean;
};

export type UrlFilters<F extends FilterFields> = {
  /** The filters in force; the same object until a filter actually changes. */
  filters: FilterValues<F>;
  setFilters: (patch: FilterPatch<FilterValues<F>>, options?: SetFiltersOptions) => void;
  resetFilters: (options?: SetFiltersOptions) => void;
  /** True when every filter is at its default (nothing to reset). */
  isDefault: boolean;
  /** The canonical query string of these filters ("" at defaults), e.g. for a share link. */
  search: string;
};

/**
 * Typed filters kept in the query string (see data/url-filters.ts for the rules).
 * `schema` must be a module-level constant: its identity is not tracked.
 *
 *   const { filters, setFilters } = useUrlFilters(PRACTICE_FILTERS);
 *   useQuery(trpc.outcomes.summary.queryOptions(toOutcomeInput(filters)));
 */
export function useUrlFilters<F extends FilterFields>(schema: FilterSchema<F>): UrlFilters<F> {
  const [searchParams, setSearchParams] = useSearchParams();

  // Parsing is cheap; identity is what matters. The object changes only when the
  // canonical string does, so a change of an unrelated query key, or a
  // reordering, leaves memoised charts and effects alone.
  const parsed = parseFilters(schema, searchParams);
  const search = filterSearch(schema, parsed);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the canonical form on purpose
  const filters = useMemo(() => parsed, [search]);

  // Updates asked for since the last render (see updateBase); forgotten once the address has been rendered.
  const pending = useRef<PendingSearch | null>(null);
  const rendered = searchParams.toString();
  useEffect(() => {
    pending.current = null;
  }, [rendered]);

  const setFilters = useCallback(
    (patch: FilterPatch<FilterValues<F>>, options: SetFiltersOptions = {}) => {
      setSearchParams(
        (current) => {
          const base = updateBase(pending.current, current);
          const now = parseFilters(schema, base);
          const changes = typeof patch === 'function' ? patch(now) : patch;
          const next = writeFilters(schema, { ...now, ...changes }, base);
          pending.current = { base: current.toString(), next };
          return next;
        },
        { replace: !options.push, preventScrollReset: true },
      );
    },
    [schema, setSearchParams],
  );

  const resetFilters = useCallback(
    (options: SetFiltersOptions = {}) =>
      setSearchParams(
        (current) => {
          const next = writeFilters(schema, defaultFilters(schema), updateBase(pending.current, current));
          pending.current = { base: current.toString(), next };
          return next;
        },
        { replace: !options.push, preventScrollReset: true },
      ),
    [schema, setSearchParams],
  );

  return { filters, setFilters, resetFilters, isDefault: search === '', search };
}
