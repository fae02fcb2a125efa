/**
 * The planted truth of the demo practice, computed exactly from model.ts by
 * enumerating every covariate cell (condition x baseline NRS x pain duration x
 * path x index category): no simulation, no rounding. These are the figures an
 * outcome engine must recover from the generated rows (within sampling error),
 * and what docs/demo-practice.md tabulates (`npm run seed -- --truth` prints
 * them).
 *
 * Why the expectations are exact on the stored integer scale: the follow-up
 * score is an unbiased rounding of a latent value that never leaves 0-10 (see
 * model.ts), missing visits are independent of outcomes and covariates given
 * the path, and completion is the same for both paths, so complete-case
 * episodes have the population's covariate mix. Each figure is therefore the
 * expectation over the episodes that have a baseline and a follow-up in the
 * window (complete case).
 *
 * "Category" here is the episode's index category: the category of the
 * treatment(s) on its index date (always exactly one category in the demo).
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import {
  INTERVENTIONAL_CATEGORIES,
  CONSERVATIVE_CATEGORIES,
  type CarePath,
  type TreatmentCategory,
} from '../../../db/schema/vocabulary.ts';
import {
  BASELINE_PMF,
  BASELINE_VALUES,
  CATEGORY_EFFECT,
  COMPLICATION_RATES,
  CONDITIONS,
  DEMO_CONDITIONS,
  DURATION_PMF,
  DURATION_VALUES,
  MME_FACTORS,
  MME_PMF,
  MME_TRANSITIONS,
  MME_VALUES,
  NOISE,
  ODI,
  OPIOID_BASELINE,
  OPIOID_DURATION,
  OPIOID_INTERCEPT,
  PATH_BASELINE,
  PATH_DURATION,
  PATH_INTERCEPT,
  PROMIS,
  WINDOWS,
  expectedChange,
  mixOf,
  multiplier,
  type DemoCondition,
  type Window,
} from './model.ts';

const logistic = (x: number) => 1 / (1 + Math.exp(-x));

/** P(interventional | c, b, d): the planted propensity. */
export function propensity(c: DemoCondition, b: number, d: number): number {
  return logistic(PATH_INTERCEPT[c] + PATH_BASELINE * (b - 7) + PATH_DURATION * (d / 12 - 2));
}

/** P(on opioids at baseline | c, b, d). */
export function opioidProbability(c: DemoCondition, b: number, d: number): number {
  return logistic(OPIOID_INTERCEPT[c] + OPIOID_BASELINE * (b - 7) + OPIOID_DURATION * (d / 12 - 2));
}

/** The tilted baseline NRS distribution of a condition (values BASELINE_VALUES). */
export function baselinePmf(c: DemoCondition): number[] {
  const t = CONDITIONS[c].severityTilt;
  return normalise(BASELINE_VALUES.map((b, i) => BASELINE_PMF[i]! * Math.exp(t * (b - 7))));
}

/** The tilted pain duration distribution of a condition (values DURATION_VALUES). */
export function durationPmf(c: DemoCondition): number[] {
  const t = CONDITIONS[c].durationTilt;
  return normalise(DURATION_VALUES.map((d, i) => DURATION_PMF[i]! * Math.pow(d / 24, t)));
}

export function conditionPmf(): number[] {
  return normalise(DEMO_CONDITIONS.map((c) => CONDITIONS[c].weight));
}

function normalise(w: number[]): number[] {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

/** One covariate cell with an index category: its probability among all episodes. */
export type Cell = {
  condition: DemoCondition;
  baseline: number;
  duration: number;
  path: CarePath;
  category: TreatmentCategory;
  p: number;
};

let cellCache: Cell[] | null = null;

/** Every (condition, baseline, duration, path, category) with its probability; they sum to 1. */
export function cells(): Cell[] {
  if (cellCache) return cellCache;
  const out: Cell[] = [];
  const pc = conditionPmf();
  DEMO_CONDITIONS.forEach((c, ci) => {
    const pb = baselinePmf(c);
    const pd = durationPmf(c);
    BASELINE_VALUES.forEach((b, bi) => {
      DURATION_VALUES.forEach((d, di) => {
        const px = pc[ci]! * pb[bi]! * pd[di]!;
        const pi = propensity(c, b, d);
        for (const path of ['interventional', 'conservative'] as const) {
          const pPath = path === 'interventional' ? pi : 1 - pi;
          for (const [k, pk] of Object.entries(mixOf(path, c)) as Array<[TreatmentCategory, number]>) {
            out.push({ condition: c, baseline: b, duration: d, path, category: k, p: px * pPath * pk });
          }
        }
      });
    });
  });
  return (cellCache = out);
}

export type Filter = { path?: CarePath; category?: TreatmentCategory; condition?: DemoCondition };
const matches = (cell: Cell, f: Filter) =>
  (!f.path || cell.path === f.path) && (!f.category || cell.category === f.category) && (!f.condition || cell.condition === f.condition);

function expectation(f: Filter, value: (cell: Cell) => number, restrict: (cell: Cell) => boolean = () => true): number {
  let num = 0;
  let den = 0;
  for (const cell of cells()) {
    if (!matches(cell, f) || !restrict(cell)) continue;
    num += cell.p * value(cell);
    den += cell.p;
  }
  return den > 0 ? num / den : Number.NaN;
}

/** The share of all episodes matching a filter. */
export function share(f: Filter): number {
  return expectation({}, (cell) => (matches(cell, f) ? 1 : 0));
}

export type OutcomeMeasure = 'pain_nrs' | 'odi' | 'promis_pi' | 'promis_pf';

/**
 * Expected change (baseline - follow-up, the domain's sign: positive = less
 * pain / disability; for PROMIS physical function, where higher is better,
 * improvement is negative) among complete-case episodes matching the filter.
 * ODI is recorded only for the lumbar/sacroiliac conditions (model.ts
 * CONDITIONS[c].odi), so its expectation is over those.
 */
export function meanChange(f: Filter, w: Window, measure: OutcomeMeasure = 'pain_nrs'): number {
  const mu = (cell: Cell) => expectedChange(cell.category, cell.condition, cell.baseline, cell.duration, w);
  switch (measure) {
    case 'pain_nrs':
      return expectation(f, mu);
    case 'odi':
      return expectation(
        f,
        (cell) => ((ODI.intercept + ODI.slope * cell.baseline) * ODI.relative * mu(cell)) / cell.baseline,
        (cell) => CONDITIONS[cell.condition].odi,
      );
    case 'promis_pi':
      return -PROMIS.pi.perNrsChange * expectation(f, mu);
    case 'promis_pf':
      return -PROMIS.pf.perNrsChange * expectation(f, mu);
  }
}

/** Expected baseline NRS among episodes matching the filter. */
export function meanBaseline(f: Filter): number {
  return expectation(f, (cell) => cell.baseline);
}

// ---- responders --------------------------------------------------------------

export const RESPONDER_DEFINITIONS = ['pct30', 'pct50', 'mcid2', 'painFree'] as const;
export type ResponderDefinition = (typeof RESPONDER_DEFINITIONS)[number];

/** The largest follow-up score that is a response, for an integer baseline (exact integer arithmetic). */
export function responderCutoff(def: ResponderDefinition, baseline: number): number {
  switch (def) {
    case 'pct30':
      return baseline - Math.ceil((3 * baseline) / 10); // 10 (B - F) >= 3 B
    case 'pct50':
      return baseline - Math.ceil(baseline / 2); // 2 (B - F) >= B
    case 'mcid2':
      return baseline - 2;
    case 'painFree':
      return 1;
  }
}

const phi = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
const Phi = (z: number) => (z === Number.POSITIVE_INFINITY ? 1 : z === Number.NEGATIVE_INFINITY ? 0 : normalCdf(z, 0, 1));

/** Half-width of the follow-up noise around its mean m (model.ts). */
export function noiseHalfWidth(m: number, halfRange: number = NOISE.halfRange, max = 10, min = 0): number {
  return Math.min(halfRange, m - min, max - m);
}

/**
 * P(F <= k) for F = unbiased integer rounding of Y = m + s * clip(Z / c, -1, 1),
 * Z standard normal: closed form, because P(F <= k | Y) = clamp(k + 1 - Y, 0, 1)
 * is piecewise linear in Z.
 */
export function probAtMost(k: number, m: number, s: number, c: number = NOISE.clip): number {
  const h = (y: number) => Math.min(1, Math.max(0, k + 1 - y));
  const tail = Phi(-c);
  let p = tail * (h(m - s) + h(m + s));
  // Inside (-c, c): Y = m + (s / c) z. h = 1 for z <= z1, linear on (z1, z2), 0 beyond.
  const slope = s / c;
  const z1 = (k - m) / slope;
  const z2 = (k + 1 - m) / slope;
  const a1 = -c;
  const b1 = Math.min(z1, c);
  if (b1 > a1) p += Phi(b1) - Phi(a1);
  const a2 = Math.max(z1, -c);
  const b2 = Math.min(z2, c);
  if (b2 > a2) {
    // integral of (k + 1 - m - slope * z) phi(z) dz
    p += (k + 1 - m) * (Phi(b2) - Phi(a2)) - slope * (phi(a2) - phi(b2));
  }
  return p;
}

/** Complete-case probability of a response at window w among episodes matching the filter. */
export function responderRate(f: Filter, w: Window, def: ResponderDefinition): number {
  return expectation(f, (cell) => {
    const m = cell.baseline - expectedChange(cell.category, cell.condition, cell.baseline, cell.duration, w);
    return probAtMost(responderCutoff(def, cell.baseline), m, noiseHalfWidth(m));
  });
}

// ---- the care-path comparison (the planted confounding) ----------------------

/** E over the index categories of a path within a condition of M * A: the path's effect net of covariates. */
function pathCategoryEffect(path: CarePath, c: DemoCondition, w: Window): number {
  let s = 0;
  for (const [k, pk] of Object.entries(mixOf(path, c)) as Array<[TreatmentCategory, number]>) {
    s += pk * multiplier(k, c) * CATEGORY_EFFECT[k][w];
  }
  return s;
}

export type PathComparison = {
  /** E[change | interventional] - E[change | conservative]: what a crude comparison estimates. */
  crude: number;
  /** Average treatment effect over all episodes: what stabilised IPW estimates. */
  ate: number;
  /** Effect among interventional episodes: what matching treated episodes to controls estimates. */
  att: number;
  /** Effect among conservative episodes. */
  atc: number;
  /** Conditional effect within each condition (the covariate terms cancel, so it is the same at every B and D). */
  byCondition: Record<DemoCondition, number>;
};

/** Interventional - conservative difference in expected NRS change at a window. */
export function pathComparison(w: Window): PathComparison {
  const byCondition = Object.fromEntries(
    DEMO_CONDITIONS.map((c) => [c, pathCategoryEffect('interventional', c, w) - pathCategoryEffect('conservative', c, w)]),
  ) as Record<DemoCondition, number>;
  const tau = (cell: Cell) => byCondition[cell.condition];
  return {
    crude: meanChange({ path: 'interventional' }, w) - meanChange({ path: 'conservative' }, w),
    ate: expectation({}, tau),
    att: expectation({ path: 'interventional' }, tau),
    atc: expectation({ path: 'conservative' }, tau),
    byCondition,
  };
}

/** Covariate means by path: the imbalance a balance table should show before weighting. */
export function covariateMeans(path: CarePath): { baseline: number; durationMonths: number } {
  return {
    baseline: expectation({ path }, (cell) => cell.baseline),
    durationMonths: expectation({ path }, (cell) => cell.duration),
  };
}

// ---- opioids -----------------------------------------------------------------

export type OpioidTruth = {
  /** Share of the path's episodes on opioids at baseline (MME > 0). */
  onOpioidsAtBaseline: number;
  meanBaselineMme: number;
  byWindow: Record<
    Window,
    {
      /** Among episodes on opioids at baseline with a follow-up MME: MME 0. */
      stopped: number;
      /** MME down by at least 50 % (stopped included). */
      reduced: number;
      /** Expected MME change, baseline - follow-up. */
      meanChange: number;
      /** Expected share of the path's episodes on opioids at the window (baseline share x not stopped). */
      onOpioids: number;
    }
  >;
};

export function opioidTruth(path: CarePath): OpioidTruth {
  const meanBaselineMme = MME_VALUES.reduce((s, v, i) => s + v * MME_PMF[i]!, 0);
  const onOpioidsAtBaseline = expectation({ path }, (cell) => opioidProbability(cell.condition, cell.baseline, cell.duration));
  const byWindow = Object.fromEntries(
    WINDOWS.map((w) => {
      const t = MME_TRANSITIONS[path][w];
      const keep = t.reduce((s, p, i) => s + p * MME_FACTORS[i]!, 0);
      return [
        w,
        {
          stopped: t[0],
          reduced: t[0] + t[1],
          meanChange: meanBaselineMme * (1 - keep),
          onOpioids: onOpioidsAtBaseline * (1 - t[0]),
        },
      ];
    }),
  ) as OpioidTruth['byWindow'];
  return { onOpioidsAtBaseline, meanBaselineMme, byWindow };
}

// ---- everything, as data -------------------------------------------------------

export type PlantedTruth = {
  definitions: {
    change: string;
    category: string;
    population: string;
  };
  share: { interventional: number; byCondition: Record<DemoCondition, number>; byCategory: Partial<Record<TreatmentCategory, number>> };
  meanChange: {
    byPath: Record<CarePath, Record<Window, number>>;
    byCategory: Partial<Record<TreatmentCategory, Record<Window, number>>>;
    byCategoryAndCondition: Partial<Record<TreatmentCategory, Partial<Record<DemoCondition, Record<Window, number>>>>>;
    odiByCategory: Partial<Record<TreatmentCategory, Record<Window, number>>>;
    promisPiByPath: Record<CarePath, Record<Window, number>>;
    promisPfByPath: Record<CarePath, Record<Window, number>>;
  };
  responders: {
    byPath: Record<CarePath, Record<Window, Record<ResponderDefinition, number>>>;
    byCategory: Partial<Record<TreatmentCategory, Record<Window, Record<ResponderDefinition, number>>>>;
  };
  pathEffect: Record<Window, PathComparison>;
  covariates: Record<CarePath, { baseline: number; durationMonths: number }>;
  opioids: Record<CarePath, OpioidTruth>;
  complications: Record<TreatmentCategory, { minor: number; major: number }>;
};

const perWindow = (f: (w: Window) => number): Record<Window, number> =>
  Object.fromEntries(WINDOWS.map((w) => [w, f(w)])) as Record<Window, number>;

let truthCache: PlantedTruth | null = null;

/** Every planted figure, exactly. Pure and deterministic (no seed: it is the model's expectation). */
export function plantedTruth(): PlantedTruth {
  if (truthCache) return truthCache;
  const categories = [...INTERVENTIONAL_CATEGORIES, ...CONSERVATIVE_CATEGORIES].filter((k) => share({ category: k }) > 0);
  const paths = ['interventional', 'conservative'] as const;
  const byCategoryAndCondition: PlantedTruth['meanChange']['byCategoryAndCondition'] = {};
  for (const k of categories) {
    const row: Partial<Record<DemoCondition, Record<Window, number>>> = {};
    for (const c of DEMO_CONDITIONS) if (share({ category: k, condition: c }) > 0) row[c] = perWindow((w) => meanChange({ category: k, condition: c }, w));
    byCategoryAndCondition[k] = row;
  }
  const responderRow = (f: Filter) =>
    Object.fromEntries(
      WINDOWS.map((w) => [w, Object.fromEntries(RESPONDER_DEFINITIONS.map((d) => [d, responderRate(f, w, d)]))]),
    ) as Record<Window, Record<ResponderDefinition, number>>;
  truthCache = {
    definitions: {
      change: 'baseline - follow-up (positive = better; for PROMIS physical function negative = better)',
      category: "the category of the episode's index-date treatment(s)",
      population: 'complete-case episodes: a baseline and a follow-up in the window (domain.md windows)',
    },
    share: {
      interventional: share({ path: 'interventional' }),
      byCondition: Object.fromEntries(DEMO_CONDITIONS.map((c) => [c, share({ condition: c })])) as Record<DemoCondition, number>,
      byCategory: Object.fromEntries(categories.map((k) => [k, share({ category: k })])),
    },
    meanChange: {
      byPath: Object.fromEntries(paths.map((p) => [p, perWindow((w) => meanChange({ path: p }, w))])) as Record<CarePath, Record<Window, number>>,
      byCategory: Object.fromEntries(categories.map((k) => [k, perWindow((w) => meanChange({ category: k }, w))])),
      byCategoryAndCondition,
      odiByCategory: Object.fromEntries(
        categories.filter((k) => DEMO_CONDITIONS.some((c) => CONDITIONS[c].odi && share({ category: k, condition: c }) > 0)).map((k) => [k, perWindow((w) => meanChange({ category: k }, w, 'odi'))]),
      ),
      promisPiByPath: Object.fromEntries(paths.map((p) => [p, perWindow((w) => meanChange({ path: p }, w, 'promis_pi'))])) as Record<CarePath, Record<Window, number>>,
      promisPfByPath: Object.fromEntries(paths.map((p) => [p, perWindow((w) => meanChange({ path: p }, w, 'promis_pf'))])) as Record<CarePath, Record<Window, number>>,
    },
    responders: {
      byPath: Object.fromEntries(paths.map((p) => [p, responderRow({ path: p })])) as PlantedTruth['responders']['byPath'],
      byCategory: Object.fromEntries(categories.map((k) => [k, responderRow({ category: k })])),
    },
    pathEffect: Object.fromEntries(WINDOWS.map((w) => [w, pathComparison(w)])) as Record<Window, PathComparison>,
    covariates: { interventional: covariateMeans('interventional'), conservative: covariateMeans('conservative') },
    opioids: { interventional: opioidTruth('interventional'), conservative: opioidTruth('conservative') },
    complications: Object.fromEntries(
      Object.entries(COMPLICATION_RATES).map(([k, [minor, major]]) => [k, { minor, major }]),
    ) as PlantedTruth['complications'],
  };
  return truthCache;
}

/** The headline planted effects (a shorthand of plantedTruth()). */
export const PLANTED_EFFECTS = {
  get meanChangeByCategory() {
    return plantedTruth().meanChange.byCategory;
  },
  get meanChangeByPath() {
    return plantedTruth().meanChange.byPath;
  },
  get pathEffect3m() {
    return plantedTruth().pathEffect.m3;
  },
  get opioids() {
    return plantedTruth().opioids;
  },
};

/**
 * Checks the model keeps every latent follow-up mean strictly inside the scale
 * (what makes the expectations exact); returns the extreme means found.
 */
export function latentMeanRange(): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const cell of cells()) {
    for (const w of WINDOWS) {
      const m = cell.baseline - expectedChange(cell.category, cell.condition, cell.baseline, cell.duration, w);
      min = Math.min(min, m);
      max = Math.max(max, m);
    }
  }
  return { min, max };
}
