/**
 * The product's statistics: pure functions, no I/O, no database types. Each is
 * tested against R or SciPy/statsmodels on the same inputs (tests/stats,
 * scripts/reference). Conventions: docs/decisions/004-statistics.md.
 */
export * from './descriptive.ts';
export * from './proportions.ts';
export * from './comparison.ts';
export * from './regression.ts';
export * from './weighting.ts';
export * from './survival.ts';
export { argsortStable, sortedCopy } from './sort.ts';
export { pnorm, qnorm, pt, qt, twoSidedPt, twoSidedPz, zCrit, tCrit, pchisqUpper } from './distributions.ts';
