import { describe, expect, it } from 'vitest';
import { CARE_PATH_STYLES } from '../../client/src/components/charts/palette.ts';

/** WCAG 2.x relative luminance and contrast ratio. */
function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
const linear = (c: number) => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};
const luminance = ([r, g, b]: [number, number, number]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
const contrast = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

/** Machado, Oliveira & Fernandes (2009) simulation matrices, severity 1.0, applied in linear RGB. */
const CVD = {
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
} as const;

function simulate(hex: string, m: readonly (readonly number[])[]): [number, number, number] {
  const lin = rgb(hex).map(linear);
  return m.map((row) => Math.min(1, Math.max(0, row[0]! * lin[0]! + row[1]! * lin[1]! + row[2]! * lin[2]!))) as [number, number, number];
}
/** Distance in linear RGB: crude, but enough to catch two colours that collapse into one. */
const distance = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

describe('care-path palette', () => {
  const { interventional, conservative } = CARE_PATH_STYLES;

  it('has at least 3:1 contrast on white for each path (WCAG 1.4.11, graphical objects)', () => {
    for (const s of [interventional, conservative]) expect(contrast(luminance(rgb(s.color)), 1)).toBeGreaterThanOrEqual(3);
  });

  it('keeps the two paths apart under protanopia, deuteranopia and tritanopia', () => {
    for (const m of Object.values(CVD)) {
      expect(distance(simulate(interventional.color, m), simulate(conservative.color, m))).toBeGreaterThan(0.3);
    }
  });

  it('does not rely on colour alone: the paths differ in dash and marker too', () => {
    expect(interventional.dash).not.toBe(conservative.dash);
    expect(interventional.marker).not.toBe(conservative.marker);
  });
});
