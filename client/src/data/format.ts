/**
 * How numbers and dates read in the product: US conventions (the practices
 * this serves bill CPT and code ICD-10-CM), tabular digits in the style sheet,
 * a dash for a figure that does not exist, never "NaN" or "undefined".
 */

export const MISSING = '—';

const countFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimalFormats = new Map<number, Intl.NumberFormat>();
function decimalFormat(digits: number): Intl.NumberFormat {
  let f = decimalFormats.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    decimalFormats.set(digits, f);
  }
  return f;
}

const isNumber = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** Negative numbers with a true minus sign, which does not read as a hyphen or a range dash. */
const withMinus = (s: string) => s.replace(/^-/, '\u2212');

/** 12345 -> "12,345". */
export function formatCount(n: number | null | undefined): string {
  return isNumber(n) ? withMinus(countFormat.format(n)) : MISSING;
}

/**
 * A count that may be withheld by small-cell suppression: the number, or the
 * marker the server chose ("<11" for a small count, "—" for a count withheld so
 * that a small one cannot be worked out).
 */
export function formatMaskedCount(c: number | { display: string } | null | undefined): string {
  return c !== null && typeof c === 'object' ? c.display : formatCount(c);
}

/** How the Outcomes and Compare pages tell a suppressed role what their markers mean (after the scope sentence). */
export const SUPPRESSION_NOTE =
  'Counts from 1 to 10 are shown as “<11”, counts that would let one be worked out as “—”, and figures of fewer than 11 episodes are withheld for your role.';

/** 1.234 -> "1.2" (digits after the point, default 1). */
export function formatDecimal(x: number | null | undefined, digits = 1): string {
  if (!isNumber(x)) return MISSING;
  const s = decimalFormat(digits).format(x);
  // -0.0 reads as a direction that is not there.
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : withMinus(s);
}

/** A proportion 0..1 -> "42%" (digits after the point, default 0). */
export function formatPercent(p: number | null | undefined, digits = 0): string {
  return isNumber(p) ? `${formatDecimal(p * 100, digits)}%` : MISSING;
}

/**
 * A 95 % interval as journals print it when bounds may be negative: "0.8 to 2.1"
 * ("to" rather than a dash, which would read as a minus).
 */
export function formatInterval(
  interval: readonly [number, number] | null | undefined,
  format: (x: number) => string = (x) => formatDecimal(x, 1),
): string {
  if (!interval || !isNumber(interval[0]) || !isNumber(interval[1])) return MISSING;
  return `${format(interval[0])} to ${format(interval[1])}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * "2024-03-07" -> "Mar 7, 2024". Calendar dates are not instants: formatted from
 * their parts, so no time zone can move them to the day before.
 */
export function formatIsoDate(iso: string | null | undefined): string {
  if (!iso) return MISSING;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  const month = m ? MONTHS[Number(m[2]) - 1] : undefined;
  if (!m || !month) return iso;
  return `${month} ${Number(m[3])}, ${m[1]}`;
}

/** An inclusive span of calendar dates: "Jan 3, 2022 – Dec 28, 2024". */
export function formatDateSpan(first: string | null | undefined, last: string | null | undefined): string {
  if (!first && !last) return MISSING;
  if (first === last) return formatIsoDate(first);
  return `${formatIsoDate(first)} \u2013 ${formatIsoDate(last)}`;
}

/** "1 episode", "2 episodes"; the plural given when it is not the singular plus "s". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}
