/**
 * Building blocks of tasks over the analytic store: the episodes matching the
 * practice filters (OutcomeFilters, shared by the Outcomes, Compare,
 * Operations and Cohorts pages) as a mask, and the episodes' group of any
 * grouping as a small integer with its key. Both are kept per store version
 * (store.memoize), so the queries of one page state share them.
 */
import type { Grouping, OutcomeFilters } from '../outcomes/filters.ts';
import { dayOf } from '../outcomes/filters.ts';
import type { RawKey } from '../outcomes/query.ts';
import { ENUMS, NONE, type AnalyticStore, type EnumName } from './store.ts';

/**
 * Groups as small integers: `codes[row]` indexes `keys` (the raw key as SQL
 * returns it: enumeration value, id, period number, null). Always a
 * Uint32Array, so a task's hot loop sees one array type whatever the grouping.
 */
export type GroupCodes = { codes: Uint32Array; keys: RawKey[] };

const ENUM_GROUPING: Partial<Record<Grouping, 'carePath' | 'category' | 'conditionGroup' | 'ageBand' | 'sex'>> = {
  care_path: 'carePath',
  category: 'category',
  condition: 'conditionGroup',
  age_band: 'ageBand',
  sex: 'sex',
};
const INT_GROUPING: Partial<Record<Grouping, 'providerId' | 'siteId' | 'indexMonth' | 'indexQuarter' | 'indexYear'>> = {
  provider: 'providerId',
  site: 'siteId',
  month: 'indexMonth',
  quarter: 'indexQuarter',
  year: 'indexYear',
};

/** Every row in one group whose key is 'all' (as SQL's `'all'` constant). */
const ALL_KEY: RawKey = 'all';

/** The group of every episode row under `grouping` (null: one group, key 'all'). Kept per store version. */
export function groupCodes(store: AnalyticStore, grouping: Grouping | null): GroupCodes {
  return store.memoize(`group:${grouping}`, () => {
    const n = store.rows;
    const ep = store.episodes;
    if (grouping === null) return { codes: new Uint32Array(n), keys: [ALL_KEY] };
    const e = ENUM_GROUPING[grouping];
    if (e) {
      const keys: RawKey[] = new Array(256).fill(null);
      ENUMS[e].forEach((v, i) => (keys[i] = v));
      const codes = new Uint32Array(n);
      codes.set(ep[e].subarray(0, n));
      return { codes, keys };
    }
    if (grouping === 'code') return { codes: ep.code.slice(0, n), keys: [...store.dicts.code] };
    const a = ep[INT_GROUPING[grouping]!];
    const index = new Map<number, number>();
    const keys: RawKey[] = [];
    const codes = new Uint32Array(n);
    let last = Number.NaN;
    let lastK = 0;
    for (let i = 0; i < n; i++) {
      const v = a[i]!;
      if (v !== last) {
        let k = index.get(v);
        if (k === undefined) index.set(v, (k = keys.length)), keys.push(v);
        last = v;
        lastK = k;
      }
      codes[i] = lastK;
    }
    return { codes, keys };
  });
}

/** A lookup table over enum codes (0..255): 1 for the listed values. */
function enumTable(e: EnumName, values: readonly string[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const v of values) {
    const i = (ENUMS[e] as readonly string[]).indexOf(v);
    if (i >= 0) t[i] = 1;
  }
  return t;
}

const filtersKey = (f: OutcomeFilters) =>
  JSON.stringify([
    f.carePath ?? null,
    f.conditions ?? [],
    f.categories ?? [],
    f.codes ?? [],
    f.providers ?? [],
    f.sites ?? [],
    f.ageBands ?? [],
    f.sexes ?? [],
    f.from ?? null,
    f.to ?? null,
  ]);

/**
 * 1 for each live episode row matching the filters (the same conditions as
 * filters.ts's whereOf), 0 otherwise. Kept per filters and store version.
 * Each condition is one branch-free pass over a column.
 */
export function episodeMask(store: AnalyticStore, f: OutcomeFilters): Uint8Array {
  return store.memoize(`mask:${filtersKey(f)}`, () => {
    const ep = store.episodes;
    const n = store.rows;
    const mask = new Uint8Array(n);
    mask.set(ep.alive.subarray(0, n));
    /** mask[i] &= table[col[i]]. */
    const through = (col: ArrayLike<number>, table: Uint8Array) => {
      for (let i = 0; i < n; i++) mask[i]! &= table[col[i]!]!;
    };
    const byEnum = (e: EnumName, col: Uint8Array, values: readonly string[] | undefined) => {
      if (values?.length) through(col, enumTable(e, values));
    };
    /** Rows whose group (groupCodes) is one of `keys`. */
    const byGroup = (grouping: Grouping, keys: readonly (string | number)[]) => {
      const g = groupCodes(store, grouping);
      const want = new Set<unknown>(keys);
      const table = new Uint8Array(g.keys.length);
      g.keys.forEach((k, i) => (table[i] = k !== null && want.has(k) ? 1 : 0));
      through(g.codes, table);
    };
    if (f.carePath) byEnum('carePath', ep.carePath, [f.carePath]);
    byEnum('conditionGroup', ep.conditionGroup, f.conditions);
    byEnum('category', ep.category, f.categories);
    byEnum('ageBand', ep.ageBand, f.ageBands);
    byEnum('sex', ep.sex, f.sexes);
    if (f.codes?.length) byGroup('code', f.codes);
    if (f.providers?.length) byGroup('provider', f.providers);
    if (f.sites?.length) byGroup('site', f.sites);
    if (f.from || f.to) {
      const lo = f.from ? dayOf(f.from) : -2147483647;
      const hi = f.to ? dayOf(f.to) : 2147483647;
      const col = ep.indexDay;
      for (let i = 0; i < n; i++) {
        const d = col[i]!;
        mask[i]! &= +(d >= lo) & +(d <= hi);
      }
    }
    return mask;
  });
}

/**
 * The rows of episodeMask as a list, ascending (memoized alike): what a scan
 * iterates, so a selective filter makes every scan of its page shorter.
 */
export function episodeSelection(store: AnalyticStore, f: OutcomeFilters): Int32Array {
  const key = filtersKey(f);
  // Without filters the selection is every live row: an index of the data alone, kept until they change.
  const unfiltered = key === filtersKey({});
  return store.memoize(unfiltered ? 'live-rows' : `mask:sel:${key}`, () => {
    const n = store.rows;
    const sel = new Int32Array(n + 1);
    const mask = unfiltered ? store.episodes.alive : episodeMask(store, f);
    // Branch-free: every row is written, the position advances only for a selected one
    // (a filter that keeps half the rows in no order would mispredict every other branch).
    let k = 0;
    for (let i = 0; i < n; i++) {
      sel[k] = i;
      k += mask[i]!;
    }
    return sel.slice(0, k);
  });
}

/** Orders raw keys as SQLite's GROUP BY / ORDER BY does: NULL, then numbers ascending, then text by code unit. */
export function compareRawKeys(a: RawKey, b: RawKey): number {
  const rank = (x: RawKey) => (x === null ? 0 : typeof x === 'number' ? 1 : 2);
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (a === b) return 0;
  return (a as string | number) < (b as string | number) ? -1 : 1;
}

export { NONE };
