/**
 * The Newton-Raphson driver shared by the logistic fits (regression.ts's
 * logisticRegression and factor-regression.ts's grouped-kernel fit): step
 * halving, convergence on the relative deviance change, and the
 * singular / boundary / separation bookkeeping after the loop. The hot part,
 * one pass over the rows for the deviance, gradient and information, stays in
 * the caller's `evaluate`; this module only runs the p-sized linear algebra.
 */
import { cholesky, choleskyInverse, choleskySolve } from './linalg.ts';
import type { LogisticStatus } from './regression.ts';

export interface LogisticNewton {
  status: LogisticStatus;
  message: string | null;
  iterations: number;
  beta: Float64Array;
  deviance: number;
  /** Fitted probabilities at 0 or 1 at the final beta. */
  nBoundary: number;
  /** Inverse information at the final beta; null when it is singular. */
  bread: Float64Array | null;
}

/**
 * Maximises the likelihood from `beta`. `evaluate(b, grad, hess)` fills the
 * gradient and (full, symmetric) information at b and returns the deviance;
 * `boundary()` is the number of fitted values at 0 or 1 of the latest
 * evaluate. Every exit leaves the caller's state (fitted values) evaluated at
 * the returned beta (an accepted candidate, or re-evaluated).
 */
export function logisticNewton(
  start: Float64Array,
  p: number,
  maxIt: number,
  tol: number,
  evaluate: (b: Float64Array, grad: Float64Array, hess: Float64Array) => number,
  boundary: () => number,
): LogisticNewton {
  let beta = start;
  let grad = new Float64Array(p);
  let hess = new Float64Array(p * p);
  let nextGrad = new Float64Array(p);
  let nextHess = new Float64Array(p * p);
  let dev = evaluate(beta, grad, hess);
  let nBoundary = boundary();
  let status: LogisticStatus = 'not_converged';
  let iterations = 0;
  let singular = false;
  for (; iterations < maxIt; iterations++) {
    const l = Float64Array.from(hess);
    if (!cholesky(l, p, 1e-14)) {
      singular = true;
      break;
    }
    const delta = choleskySolve(l, p, grad);
    let step = 1;
    let next: Float64Array | null = null;
    let nextDev = NaN;
    for (let h = 0; h < 40; h++) {
      const cand = beta.map((b, j) => b + step * delta[j]!);
      nextDev = evaluate(cand, nextGrad, nextHess);
      if (Number.isFinite(nextDev) && nextDev <= dev * (1 + 1e-12) + 1e-300) {
        next = cand;
        break;
      }
      step /= 2;
    }
    if (!next) {
      // No step reduces the deviance: we are at the maximum up to rounding.
      dev = evaluate(beta, grad, hess);
      nBoundary = boundary();
      status = 'converged';
      break;
    }
    const devOld = dev;
    beta = next;
    dev = nextDev;
    nBoundary = boundary();
    [grad, nextGrad] = [nextGrad, grad];
    [hess, nextHess] = [nextHess, hess];
    if (Math.abs(dev - devOld) / (Math.abs(dev) + 0.1) < tol) {
      status = 'converged';
      iterations++;
      break;
    }
  }

  // One more Newton step from the final coefficients: tiny (quadratic
  // convergence) at a finite maximum, still of order one along a direction of
  // separation, where the coefficients would keep growing.
  let finalStep = 0;
  let bread: Float64Array | null = null;
  if (!singular) {
    const l = Float64Array.from(hess);
    if (cholesky(l, p, 1e-14)) {
      const delta = choleskySolve(l, p, grad);
      for (let j = 0; j < p; j++) finalStep = Math.max(finalStep, Math.abs(delta[j]!) / (Math.abs(beta[j]!) + 0.1));
      bread = choleskyInverse(l, p);
    } else {
      singular = true;
    }
  }
  let message: string | null = null;
  if (singular || (nBoundary > 0 && (finalStep > 1e-3 || status !== 'converged'))) {
    status = 'separation';
    message =
      'fitted probabilities reached 0 or 1: the outcome is (quasi-)completely separated by the covariates, ' +
      'the likelihood has no finite maximum and the coefficients and standard errors are not estimates';
  } else if (status === 'not_converged') {
    message = `no convergence in ${maxIt} iterations`;
  }
  return { status, message, iterations, beta, deviance: dev, nBoundary, bread };
}
