/**
 * Distribution functions used by the rest of server/stats. The special
 * functions come from stdlib (well-tested ports of Boost/Cephes); this module
 * only adds the tail handling that p-values need:
 *  - two-sided p-values from the lower tail of -|x| (1 - cdf(|x|) would lose
 *    every digit below 1e-16);
 *  - the chi-square upper tail by the closed-form series for integer degrees of
 *    freedom (exact, no cancellation), falling back to 1 - cdf otherwise;
 *  - t with infinite degrees of freedom is the normal (stdlib's t-cdf returns
 *    0.5 for df = Infinity).
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantileStd from '@stdlib/stats-base-dists-t-quantile';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';

/** Standard normal lower-tail probability. */
export function pnorm(z: number): number {
  return normalCdf(z, 0, 1);
}

/** Standard normal quantile. */
export function qnorm(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** Student t lower-tail probability; df = Infinity is the normal. */
export function pt(t: number, df: number): number {
  return df === Infinity ? pnorm(t) : tCdf(t, df);
}

/** Student t quantile; df = Infinity is the normal. */
export function qt(p: number, df: number): number {
  return df === Infinity ? qnorm(p) : tQuantileStd(p, df);
}

/** Two-sided p-value of a t statistic. */
export function twoSidedPt(t: number, df: number): number {
  return Math.min(1, 2 * pt(-Math.abs(t), df));
}

/** Two-sided p-value of a z statistic. */
export function twoSidedPz(z: number): number {
  return Math.min(1, 2 * pnorm(-Math.abs(z)));
}

/** Critical value z_{1-(1-level)/2}, e.g. 1.959963984540054 for level 0.95. */
export function zCrit(level: number): number {
  checkLevel(level);
  return qnorm(1 - (1 - level) / 2);
}

/** Critical value t_{1-(1-level)/2, df}. */
export function tCrit(level: number, df: number): number {
  checkLevel(level);
  return qt(1 - (1 - level) / 2, df);
}

/**
 * Upper tail P(X > x) of a chi-square with df degrees of freedom.
 * Integer df up to 200 use the exact finite series
 *   even df: exp(-x/2) * sum_{i<df/2} (x/2)^i / i!
 *   odd df:  2*(1 - Phi(sqrt x)) + 2*phi(sqrt x) * sum_{j=1}^{(df-1)/2} x^{(2j-1)/2} / (1*3*...*(2j-1))
 * whose terms are all positive, so tiny p-values keep their relative precision.
 */
export function pchisqUpper(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`chi-square df must be > 0, got ${df}`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  if (Number.isInteger(df) && df <= 200) {
    if (df % 2 === 0) {
      let term = Math.exp(-x / 2);
      let sum = term;
      for (let i = 1; i < df / 2; i++) {
        term *= x / 2 / i;
        sum += term;
      }
      return Math.min(1, sum);
    }
    const s = Math.sqrt(x);
    let sum = 2 * pnorm(-s);
    let term = Math.exp(-x / 2) / Math.sqrt(2 * Math.PI) * 2; // 2*phi(sqrt x)
    // j-th term: 2*phi(s) * s^(2j-1) / (1*3*...*(2j-1))
    term *= s; // j = 1: s^1 / 1
    for (let j = 1; j <= (df - 1) / 2; j++) {
      if (j > 1) term *= x / (2 * j - 1);
      sum += term;
    }
    return Math.min(1, sum);
  }
  return Math.max(0, 1 - chisquareCdf(x, df));
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
}
