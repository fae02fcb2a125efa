import { describe, expect, it } from 'vitest';
import { PRACTICE_FILTERS } from '../../client/src/data/filters.ts';
import {
  defaultFilters,
  defineFilters,
  filterSearch,
  idList,
  integer,
  isDefaultFilters,
  isoDate,
  isValidIsoDate,
  manyOf,
  oneOf,
  optionalOneOf,
  parseFilters,
  updateBase,
  writeFilters,
  type PendingSearch,
} from '../../client/src/data/url-filters.ts';

const COLOURS = ['red', 'green', 'blue'] as const;
const schema = defineFilters({
  colour: optionalOneOf(COLOURS),
  shades: manyOf(COLOURS),
  size: oneOf(['s', 'm', 'l'] as const, 'm'),
  ids: idList({ max: 3 }),
  from: isoDate(),
  top: integer({ min: 1, max: 50, defaultValue: 10 }),
});
const parse = (qs: string) => parseFilters(schema, new URLSearchParams(qs));
const write = (values: Partial<ReturnType<typeof parse>>, base = '') =>
  writeFilters(schema, { ...defaultFilters(schema), ...values }, new URLSearchParams(base)).toString();

describe('parseFilters', () => {
  it('gives the defaults for an empty query string', () => {
    expect(parse('')).toEqual({ colour: null, shades: [], size: 'm', ids: [], from: null, top: 10 });
  });

  it('reads every kind of field', () => {
    expect(parse('colour=blue&shades=blue,red&size=l&ids=7,3&from=2024-02-29&top=25')).toEqual({
      colour: 'blue',
      shades: ['red', 'blue'], // declared order, whatever the URL's
      size: 'l',
      ids: [3, 7],
      from: '2024-02-29',
      top: 25,
    });
  });

  it('falls back to the default for values it cannot read', () => {
    expect(parse('colour=purple&size=xl&from=2023-02-29&top=0&ids=abc')).toEqual(defaultFilters(schema));
    expect(parse('top=51').top).toBe(10);
    expect(parse('top=1.5').top).toBe(10);
    expect(parse('from=2024-13-01').from).toBeNull();
    expect(parse('from=24-01-01').from).toBeNull();
  });

  it('keeps the readable items of a list and drops the rest', () => {
    expect(parse('shades=red,,purple, blue').shades).toEqual(['red', 'blue']);
    expect(parse('ids=0,-1,2,2,x,9').ids).toEqual([2, 9]);
  });

  it('accepts repeated keys as well as commas; for a single value the last one wins', () => {
    expect(parse('shades=green&shades=red').shades).toEqual(['red', 'green']);
    expect(parse('colour=red&colour=green').colour).toBe('green');
  });

  it('caps id lists at their maximum', () => {
    expect(parse('ids=5,4,3,2,1').ids).toEqual([1, 2, 3]);
  });

  it('does not read numbers beyond the safe integers as ids', () => {
    expect(parse('ids=99999999999999999999,4').ids).toEqual([4]);
  });
});

describe('writeFilters', () => {
  it('leaves defaults out of the URL', () => {
    expect(write({})).toBe('');
    expect(write({ size: 'm', shades: [], colour: null })).toBe('');
  });

  it('writes the rest in schema order, lists comma-separated in canonical order', () => {
    expect(write({ top: 5, ids: [9, 2], shades: ['blue', 'red'], colour: 'green' })).toBe(
      'colour=green&shades=red%2Cblue&ids=2%2C9&top=5',
    );
  });

  it('keeps keys that are not filters, and replaces stale filter keys', () => {
    expect(write({ colour: 'red' }, 'tab=table&colour=blue&colour=green&size=m')).toBe('tab=table&colour=red');
  });

  it('round-trips: parse(write(v)) = v', () => {
    const v = { colour: 'red', shades: ['green', 'blue'], size: 's', ids: [1, 42], from: '2025-12-31', top: 50 } as const;
    const values = { ...v, shades: [...v.shades], ids: [...v.ids] };
    expect(parse(write(values))).toEqual(values);
  });
});

describe('filterSearch', () => {
  it('is the same for equal filters however the URL spelled them', () => {
    const a = filterSearch(schema, parse('shades=blue,red&ids=3,1&other=1'));
    const b = filterSearch(schema, parse('ids=1&ids=3&shades=red&shades=blue&size=m'));
    expect(a).toBe(b);
    expect(a).toBe('shades=red%2Cblue&ids=1%2C3');
  });

  it('is empty at defaults', () => {
    expect(isDefaultFilters(schema, parse('size=m&colour=nope'))).toBe(true);
    expect(isDefaultFilters(schema, parse('size=s'))).toBe(false);
  });
});

describe('PRACTICE_FILTERS', () => {
  const practice = (qs: string) => parseFilters(PRACTICE_FILTERS, new URLSearchParams(qs));

  it('defaults to both care paths, all groups, the 3-month window and pain', () => {
    expect(practice('')).toEqual({
      carePath: null,
      condition: [],
      category: [],
      provider: [],
      site: [],
      from: null,
      to: null,
      window: 'm3',
      measure: 'pain_nrs',
    });
  });

  it('reads the clinical vocabulary', () => {
    const f = practice('carePath=conservative&condition=crps,radiculopathy&category=physical_therapy&window=m12&measure=odi&provider=4&site=2,1');
    expect(f).toMatchObject({
      carePath: 'conservative',
      condition: ['radiculopathy', 'crps'],
      category: ['physical_therapy'],
      window: 'm12',
      measure: 'odi',
      provider: [4],
      site: [1, 2],
    });
  });

  it('reads a backwards date range as the range meant', () => {
    expect(practice('from=2024-12-31&to=2024-01-01')).toMatchObject({ from: '2024-01-01', to: '2024-12-31' });
    expect(filterSearch(PRACTICE_FILTERS, practice('from=2024-12-31&to=2024-01-01'))).toBe('from=2024-01-01&to=2024-12-31');
  });
});

describe('updateBase: two filter changes before the page re-renders', () => {
  /**
   * React Router hands every functional setSearchParams call the params of the
   * last render. This replays what useUrlFilters does for two quick changes
   * from the same rendered address, with and without the pending update.
   */
  function twoQuickChanges(usePending: boolean): string {
    const rendered = new URLSearchParams('size=l');
    let pending: PendingSearch | null = null;
    let address = rendered;
    for (const change of [{ colour: 'red' as const }, { top: 20 }]) {
      const base: URLSearchParams = usePending ? updateBase(pending, rendered) : rendered;
      const next: URLSearchParams = writeFilters(schema, { ...parseFilters(schema, base), ...change }, base);
      pending = { base: rendered.toString(), next };
      address = next;
    }
    return address.toString();
  }

  it('keeps both changes', () => {
    expect(parse(twoQuickChanges(true))).toMatchObject({ size: 'l', colour: 'red', top: 20 });
    // Without the pending update the first change is lost: the bug this guards against.
    expect(parse(twoQuickChanges(false))).toMatchObject({ size: 'l', colour: null, top: 20 });
  });

  it('starts from the rendered address once the update has been rendered, or after Back', () => {
    const next = new URLSearchParams('colour=red');
    expect(updateBase({ base: 'size=l', next }, new URLSearchParams('colour=red')).toString()).toBe('colour=red');
    expect(updateBase({ base: 'size=l', next }, new URLSearchParams('size=s')).toString()).toBe('size=s');
    expect(updateBase(null, new URLSearchParams('size=s')).toString()).toBe('size=s');
  });
});

describe('isValidIsoDate', () => {
  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['2024-04-31', false],
    ['2024-00-10', false],
    ['1899-12-31', false],
    ['2024-1-01', false],
    ['2024-01-01T00:00', false],
  ])('%s -> %s', (s, ok) => expect(isValidIsoDate(s)).toBe(ok));
});
