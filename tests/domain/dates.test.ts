import { describe, expect, it } from 'vitest';
import { ageOn, daysToIso, parseIsoDate } from '../../server/domain/dates.ts';

describe('parseIsoDate', () => {
  it('counts days from 1970-01-01 like Date.UTC does', () => {
    for (const iso of ['1970-01-01', '1999-12-31', '2000-02-29', '2024-02-29', '2026-11-24', '1900-03-01']) {
      expect(parseIsoDate(iso)).toBe(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8)) / 86_400_000);
    }
  });
  it('rejects impossible and malformed dates', () => {
    for (const bad of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '24-01-01', '2024/01/01', '2024-1-01', ' 2024-01-01', '1899-12-31', '']) {
      expect(parseIsoDate(bad), bad).toBeNull();
    }
  });
  it('round-trips through daysToIso', () => {
    for (let d = -25_000; d < 80_000; d += 97) expect(parseIsoDate(daysToIso(d))).toBe(d);
  });
});

describe('ageOn', () => {
  it('turns a year older on the birthday, not the day before', () => {
    expect(ageOn('1960-06-15', '2020-06-14')).toBe(59);
    expect(ageOn('1960-06-15', '2020-06-15')).toBe(60);
    expect(ageOn('2000-02-29', '2021-02-28')).toBe(20);
    expect(ageOn('2000-02-29', '2021-03-01')).toBe(21);
  });
});
