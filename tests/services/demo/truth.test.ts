import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATEGORY_EFFECT, CONDITIONS, DEMO_CONDITIONS, NOISE, WINDOWS } from '../../../server/services/demo/model.ts';
import { Rng } from '../../../server/services/demo/random.ts';
import { renderTruthMarkdown } from '../../../server/services/demo/report.ts';
import {
  cells,
  latentMeanRange,
  noiseHalfWidth,
  plantedTruth,
  probAtMost,
  responderCutoff,
  share,
} from '../../../server/services/demo/truth.ts';

const truth = plantedTruth();

describe('the planted truth', () => {
  it('enumerates a probability distribution over episodes with the model condition mix', () => {
    expect(cells().reduce((s, c) => s + c.p, 0)).toBeCloseTo(1, 12);
    const total = DEMO_CONDITIONS.reduce((s, c) => s + CONDITIONS[c].weight, 0);
    for (const c of DEMO_CONDITIONS) expect(share({ condition: c })).toBeCloseTo(CONDITIONS[c].weight / total, 12);
  });

  it('keeps every latent follow-up mean well inside 0-10, so no clamping is ever needed', () => {
    const { min, max } = latentMeanRange();
    expect(min).toBeGreaterThan(0.5);
    expect(max).toBeLessThan(9.5);
  });

  it('computes responder probabilities in closed form that match a simulation of the same noise', () => {
    const rng = new Rng(99, 1);
    for (const [k, m] of [
      [4, 4.3],
      [1, 1.2],
      [6, 7.9],
      [2, 5.5],
      [7, 3.1],
    ] as const) {
      const s = noiseHalfWidth(m);
      let hits = 0;
      const n = 200_000;
      for (let i = 0; i < n; i++) {
        const y = m + s * Math.max(-1, Math.min(1, rng.normal() / NOISE.clip));
        if (rng.roundUnbiased(y) <= k) hits++;
      }
      expect(Math.abs(hits / n - probAtMost(k, m, s)), `k ${k} m ${m}`).toBeLessThan(0.004);
    }
    expect(probAtMost(10, 5, 4.5)).toBeCloseTo(1, 12);
    expect(probAtMost(-1, 5, 4.5)).toBe(0);
  });

  it('uses exact integer cut-offs for the responder definitions', () => {
    expect(responderCutoff('pct30', 10)).toBe(7); // 3/10 = 30 %
    expect(responderCutoff('pct30', 7)).toBe(4); // 3/7 = 43 %; 2/7 = 29 % is not
    expect(responderCutoff('pct50', 7)).toBe(3);
    expect(responderCutoff('pct50', 8)).toBe(4);
    expect(responderCutoff('mcid2', 5)).toBe(3);
    expect(responderCutoff('painFree', 9)).toBe(1);
  });

  it('plants clinically believable effects', () => {
    const esiRadic = truth.meanChange.byCategoryAndCondition.epidural_steroid_injection!.radiculopathy!;
    expect(esiRadic.w6).toBeGreaterThan(2.5);
    expect(esiRadic.w6).toBeLessThan(3.5);
    expect(esiRadic.m6).toBeLessThan(0.6 * esiRadic.w6); // fading by 6 months
    const c = truth.meanChange.byCategory;
    expect(c.radiofrequency_ablation!.m6).toBeGreaterThan(c.epidural_steroid_injection!.m6 + 1); // RFA lasts longer
    expect(c.spinal_cord_stimulation!.m12).toBeGreaterThan(2.8);
    // Conservative care: smaller, slower and steadier.
    for (const k of ['physical_therapy', 'exercise_program', 'psychological_therapy'] as const) {
      expect(c[k]!.m6).toBeGreaterThan(c[k]!.w2 + 0.8);
      expect(c[k]!.m3).toBeLessThan(c.epidural_steroid_injection!.m3);
    }
    for (const w of WINDOWS) expect(CATEGORY_EFFECT.epidural_steroid_injection[w]).toBeGreaterThan(CATEGORY_EFFECT.usual_care[w]);
  });

  it('plants a confounder: sicker, longer-suffering patients go interventional, so the crude difference overstates the effect', () => {
    const { interventional, conservative } = truth.covariates;
    expect(interventional.baseline - conservative.baseline).toBeGreaterThan(1);
    expect(interventional.durationMonths).toBeGreaterThan(conservative.durationMonths);
    const m3 = truth.pathEffect.m3;
    expect(m3.crude - m3.ate).toBeGreaterThan(0.4);
    expect(m3.ate).toBeGreaterThan(0.3);
    expect(m3.att).toBeGreaterThan(m3.atc); // the conditions treated interventionally benefit more
    // Within a condition the adjusted effect is the difference of the paths' category effects.
    expect(m3.byCondition.facet_arthropathy).toBeGreaterThan(m3.byCondition.neuropathy);
  });

  it('plants opioid effects by path', () => {
    const i = truth.opioids.interventional.byWindow.m3;
    const c = truth.opioids.conservative.byWindow.m3;
    expect(i.stopped).toBeGreaterThan(c.stopped);
    expect(i.reduced).toBeGreaterThan(i.stopped);
    expect(i.meanChange).toBeGreaterThan(c.meanChange);
    expect(truth.opioids.interventional.onOpioidsAtBaseline).toBeGreaterThan(truth.opioids.conservative.onOpioidsAtBaseline);
  });

  it('is what docs/demo-practice.md tabulates', () => {
    const doc = readFileSync(new URL('../../../docs/demo-practice.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderTruthMarkdown());
  });
});
