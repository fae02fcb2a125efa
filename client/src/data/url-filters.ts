/**
 * Filters kept in the URL's query string, so that a view can be bookmarked and
 * shared. Pure: no React, no router. `useUrlFilters` (hooks/) binds it to the
 * router.
 *
 * Rules, the same for every page:
 * - a value equal to its default is left out of the URL (a plain link is the default view);
 * - a value that cannot be read (a hand-edited or outdated link) falls back to
 *   its default instead of failing; lists keep their readable items;
 * - lists are written comma-separated in a canonical order (declared order for
 *   enumerations, ascending for ids), so equal filters give equal URLs;
 * - keys that are not filters (page state of other kinds) are left alone.
 */

export interface FilterField<T> {
  readonly defaultValue: T;
  /** Reads the raw values of the key (every occurrence, in order); undefined when unreadable or absent. */
  parse(raw: readonly string[]): T | undefined;
  /** The value as it appears in the URL. */
  serialise(value: T): string;
  equals(a: T, b: T): boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a field of any value type
type AnyField = FilterField<any>;
export type FilterFields = Record<string, AnyField>;
export type FilterValues<F extends FilterFields> = { [K in keyof F]: F[K] extends FilterField<infer T> ? T : never };

export type FilterSchema<F extends FilterFields> = {
  readonly fields: F;
  /** Cross-field rules, applied after parsing and before writing (e.g. a date range that runs backwards). */
  readonly normalise: (values: FilterValues<F>) => FilterValues<F>;
};

export function defineFilters<F extends FilterFields>(
  fields: F,
  options: { normalise?: (values: FilterValues<F>) => FilterValues<F> } = {},
): FilterSchema<F> {
  return { fields, normalise: options.normalise ?? ((v) => v) };
}

// ---- field kinds ---------------------------------------------------------------

const splitList = (raw: readonly string[]): string[] =>
  raw.flatMap((r) => r.split(',')).map((s) => s.trim()).filter((s) => s !== '');

const sameList = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** One value of an enumeration, always set (e.g. the follow-up window). */
export function oneOf<const V extends readonly string[]>(values: V, defaultValue: V[number]): FilterField<V[number]> {
  return {
    defaultValue,
    parse: (raw) => {
      const last = raw.at(-1)?.trim();
      return last !== undefined && (values as readonly string[]).includes(last) ? (last as V[number]) : undefined;
    },
    serialise: (v) => v,
    equals: (a, b) => a === b,
  };
}

/** One value of an enumeration or none (null: all of them, e.g. both care paths). */
export function optionalOneOf<const V extends readonly string[]>(values: V): FilterField<V[number] | null> {
  return {
    defaultValue: null,
    parse: (raw) => {
      const last = raw.at(-1)?.trim();
      return last !== undefined && (values as readonly string[]).includes(last) ? (last as V[number]) : undefined;
    },
    serialise: (v) => v ?? '',
    equals: (a, b) => a === b,
  };
}

/** Any subset of an enumeration; empty means no restriction. */
export function manyOf<const V extends readonly string[]>(values: V): FilterField<Array<V[number]>> {
  return {
    defaultValue: [],
    parse: (raw) => {
      const wanted = new Set(splitList(raw));
      const kept = values.filter((v) => wanted.has(v));
      return kept.length > 0 ? kept : undefined;
    },
    serialise: (v) => values.filter((x) => (v as readonly string[]).includes(x)).join(','),
    equals: sameList,
  };
}

/** Database ids (positive integers), e.g. providers or sites; empty means all. */
export function idList({ max = 100 }: { max?: number } = {}): FilterField<number[]> {
  return {
    defaultValue: [],
    parse: (raw) => {
      const ids = [...new Set(splitList(raw).filter((s) => /^[1-9][0-9]{0,9}$/.test(s)).map(Number))]
        .filter((n) => Number.isSafeInteger(n))
        .sort((a, b) => a - b)
        .slice(0, max);
      return ids.length > 0 ? ids : undefined;
    },
    serialise: (v) => [...v].sort((a, b) => a - b).join(','),
    equals: sameList,
  };
}

/** A calendar date, YYYY-MM-DD, or null for open-ended. */
export function isoDate(): FilterField<string | null> {
  return {
    defaultValue: null,
    parse: (raw) => {
      const last = raw.at(-1)?.trim();
      return last !== undefined && isValidIsoDate(last) ? last : undefined;
    },
    serialise: (v) => v ?? '',
    equals: (a, b) => a === b,
  };
}

/** An integer within bounds (e.g. a small-cell threshold or a top-N). */
export function integer({ min, max, defaultValue }: { min: number; max: number; defaultValue: number }): FilterField<number> {
  return {
    defaultValue,
    parse: (raw) => {
      const last = raw.at(-1)?.trim();
      if (last === undefined || !/^-?[0-9]{1,9}$/.test(last)) return undefined;
      const n = Number(last);
      return n >= min && n <= max ? n : undefined;
    },
    serialise: (v) => String(v),
    equals: (a, b) => a === b,
  };
}

export function isValidIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1900 && y <= 2999 && date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

// ---- reading and writing ------------------------------------------------------------

export function defaultFilters<F extends FilterFields>(schema: FilterSchema<F>): FilterValues<F> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.fields)) out[key] = field.defaultValue;
  return out as FilterValues<F>;
}

export function parseFilters<F extends FilterFields>(schema: FilterSchema<F>, params: URLSearchParams): FilterValues<F> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.fields)) {
    const raw = params.getAll(key);
    out[key] = raw.length === 0 ? field.defaultValue : (field.parse(raw) ?? field.defaultValue);
  }
  return schema.normalise(out as FilterValues<F>);
}

/**
 * A copy of `params` with the schema's keys replaced by `values`: defaults left
 * out, the rest in the schema's order, after the keys that are not filters.
 */
export function writeFilters<F extends FilterFields>(
  schema: FilterSchema<F>,
  values: FilterValues<F>,
  params: URLSearchParams = new URLSearchParams(),
): URLSearchParams {
  const next = new URLSearchParams(params);
  const normalised = schema.normalise(values);
  for (const [key, field] of Object.entries(schema.fields)) {
    next.delete(key);
    const value = normalised[key as keyof F];
    if (!field.equals(value, field.defaultValue)) {
      const text = field.serialise(value);
      if (text !== '') next.set(key, text);
    }
  }
  return next;
}

/**
 * The canonical query string of the filters alone ("" for all defaults): equal
 * filters give equal strings, whatever order or spelling the URL used. Used as
 * the identity of a filter object and to carry filters from page to page.
 */
export function filterSearch<F extends FilterFields>(schema: FilterSchema<F>, values: FilterValues<F>): string {
  return writeFilters(schema, values).toString();
}

export function isDefaultFilters<F extends FilterFields>(schema: FilterSchema<F>, values: FilterValues<F>): boolean {
  return filterSearch(schema, values) === '';
}

/**
 * What the page has asked the address to become but not yet rendered: the
 * address it was asked from (`base`) and the one it will be (`next`).
 */
export type PendingSearch = { base: string; next: URLSearchParams };

/**
 * The query string an update should start from. React Router's functional
 * `setSearchParams` passes the params of the last render, not the last update
 * (unlike React's setState it does not queue), so two filter changes before a
 * re-render would each start from the same old address and the second would
 * undo the first. While an update is pending from that same address, start
 * from the update instead.
 */
export function updateBase(pending: PendingSearch | null, current: URLSearchParams): URLSearchParams {
  return pending && pending.base === current.toString() ? pending.next : current;
}
