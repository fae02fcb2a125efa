import { describe, expect, it } from 'vitest';
import { describeError, isRetryable } from '../../client/src/data/errors.ts';
import {
  formatCount,
  formatDateSpan,
  formatDecimal,
  formatInterval,
  formatIsoDate,
  formatPercent,
  plural,
} from '../../client/src/data/format.ts';
import { isEmptyPractice, recordCounts } from '../../client/src/data/records.ts';

describe('format', () => {
  it('counts with thousands separators and a dash for what is missing', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-3)).toBe('\u22123');
    expect(formatCount(null)).toBe('—');
    expect(formatCount(Number.NaN)).toBe('—');
  });

  it('decimals with a true minus sign and no negative zero', () => {
    expect(formatDecimal(2.345)).toBe('2.3');
    expect(formatDecimal(-2.35, 2)).toBe('\u22122.35');
    expect(formatDecimal(-0.04)).toBe('0.0');
    expect(formatDecimal(1234.5, 0)).toBe('1,235');
    expect(formatDecimal(undefined)).toBe('—');
  });

  it('percentages of a proportion', () => {
    expect(formatPercent(0.4234)).toBe('42%');
    expect(formatPercent(0.4234, 1)).toBe('42.3%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(null)).toBe('—');
  });

  it('intervals with "to", which cannot be misread as a minus', () => {
    expect(formatInterval([-0.42, 1.5])).toBe('\u22120.4 to 1.5');
    expect(formatInterval([0.31, 0.52], (x) => formatPercent(x))).toBe('31% to 52%');
    expect(formatInterval(null)).toBe('—');
    expect(formatInterval([Number.NaN, 1])).toBe('—');
  });

  it('calendar dates without time zones', () => {
    expect(formatIsoDate('2024-03-07')).toBe('Mar 7, 2024');
    expect(formatIsoDate('2022-01-01')).toBe('Jan 1, 2022');
    expect(formatIsoDate('2024-12-31')).toBe('Dec 31, 2024');
    expect(formatIsoDate('garbage')).toBe('garbage');
    expect(formatIsoDate(null)).toBe('—');
    expect(formatDateSpan('2022-01-03', '2024-12-28')).toBe('Jan 3, 2022 \u2013 Dec 28, 2024');
    expect(formatDateSpan('2022-01-03', '2022-01-03')).toBe('Jan 3, 2022');
    expect(formatDateSpan(null, null)).toBe('—');
  });

  it('plurals', () => {
    expect(plural(1, 'episode')).toBe('1 episode');
    expect(plural(1200, 'episode')).toBe('1,200 episodes');
    expect(plural(2, 'patient', 'patients')).toBe('2 patients');
  });
});

describe('describeError', () => {
  const trpcError = (code: string, httpStatus: number, message = 'msg', zodIssues?: unknown) =>
    Object.assign(new Error(message), { data: { code, httpStatus, zodIssues } });

  it('says the server could not be reached when there is no tRPC answer', () => {
    expect(describeError(new TypeError('Failed to fetch'))).toMatch(/could not be reached/);
  });
  it('never shows an internal message', () => {
    expect(describeError(trpcError('INTERNAL_SERVER_ERROR', 500, 'Internal error'))).toMatch(/could not answer/);
  });
  it('explains refusals in the user’s terms', () => {
    expect(describeError(trpcError('FORBIDDEN', 403))).toMatch(/role/);
    expect(describeError(trpcError('UNAUTHORIZED', 401))).toMatch(/Sign in/);
    expect(describeError(trpcError('BAD_REQUEST', 400, '[...]', [{ path: 'from', message: 'Invalid date' }]))).toBe(
      'The request could not be read (from: Invalid date).',
    );
    expect(describeError(trpcError('CONFLICT', 409, 'That import is still running.'))).toBe('That import is still running.');
  });
  it('retries only what may succeed next time', () => {
    expect(isRetryable(new TypeError('Failed to fetch'))).toBe(true);
    expect(isRetryable(trpcError('INTERNAL_SERVER_ERROR', 500))).toBe(true);
    expect(isRetryable(trpcError('BAD_REQUEST', 400))).toBe(false);
  });
});

describe('records summary mappers', () => {
  const summary = {
    sites: 2,
    providers: 3,
    patients: 10,
    episodes: 12,
    treatments: 30,
    observations: 80,
    firstIndexDate: '2024-01-01',
    lastIndexDate: '2024-06-01',
  };
  it('lists the counts in reading order', () => {
    expect(recordCounts(summary).map((c) => [c.key, c.value])).toEqual([
      ['patients', 10],
      ['episodes', 12],
      ['treatments', 30],
      ['observations', 80],
      ['providers', 3],
      ['sites', 2],
    ]);
  });
  it('is empty only when nothing at all is stored', () => {
    expect(isEmptyPractice(summary)).toBe(false);
    const none = { ...summary, sites: 0, providers: 0, patients: 0, episodes: 0, treatments: 0, observations: 0, firstIndexDate: null, lastIndexDate: null };
    expect(isEmptyPractice(none)).toBe(true);
    expect(isEmptyPractice({ ...none, sites: 1 })).toBe(false);
  });
});
