import type { SubgroupRow } from '../../data/compare.ts';
import { ci, countText, signed } from '../../data/compare.ts';
import { NEUTRAL } from './palette.ts';

type Props = {
  rows: readonly SubgroupRow[];
  /** The overall estimate, drawn as a dashed vertical line. */
  overall: number | null;
  unit: string;
  title: string;
};

const W = 760;
const ROW = 26;
const LEFT = 190;
const RIGHT = 250;
const TOP = 30;

/**
 * A forest plot in plain SVG: one row per subgroup with its estimate (square),
 * 95 % interval (line) and n per path; small subgroups drawn hollow and
 * labelled "small", subgroups without an estimate listed with their n. At most
 * a few dozen marks.
 */
export function ForestPlot({ rows, overall, unit, title }: Props) {
  const shown = rows.filter((r) => r.lower !== null && r.upper !== null);
  const lo = Math.min(0, ...shown.map((r) => r.lower!), overall ?? 0);
  const hi = Math.max(0, ...shown.map((r) => r.upper!), overall ?? 0);
  const pad = (hi - lo) * 0.08 || 0.5;
  const x0 = lo - pad;
  const x1 = hi + pad;
  const plotW = W - LEFT - RIGHT;
  const sx = (v: number) => LEFT + ((v - x0) / (x1 - x0)) * plotW;
  const height = TOP + rows.length * ROW + 40;
  const ticks = niceTicks(x0, x1, 6);
  return (
    <svg viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label={title} className="forest-plot" style={{ maxWidth: W }}>
      <title>{title}</title>
      <text x={8} y={18} fontSize={12} fontWeight={600} fill={NEUTRAL.muted}>Subgroup</text>
      <text x={W - RIGHT + 12} y={18} fontSize={12} fontWeight={600} fill={NEUTRAL.muted}>Difference (95% CI)</text>
      <text x={W - 70} y={18} fontSize={12} fontWeight={600} fill={NEUTRAL.muted}>n (I / C)</text>
      <line x1={sx(0)} x2={sx(0)} y1={TOP - 6} y2={TOP + rows.length * ROW} stroke={NEUTRAL.ink} strokeWidth={1} />
      {overall !== null ? (
        <line x1={sx(overall)} x2={sx(overall)} y1={TOP - 6} y2={TOP + rows.length * ROW} stroke={NEUTRAL.reference} strokeDasharray="4 3" />
      ) : null}
      {rows.map((r, i) => {
        const y = TOP + i * ROW + ROW / 2;
        const has = r.estimate !== null && r.lower !== null && r.upper !== null;
        return (
          <g key={r.key}>
            <text x={8} y={y + 4} fontSize={13} fill={NEUTRAL.ink}>
              {r.label}
              {r.small ? <tspan fill={NEUTRAL.muted} fontSize={11}> (small)</tspan> : null}
            </text>
            {has ? (
              <>
                <line x1={sx(r.lower!)} x2={sx(r.upper!)} y1={y} y2={y} stroke={NEUTRAL.ink} strokeWidth={1.5} />
                <rect x={sx(r.estimate!) - 5} y={y - 5} width={10} height={10} fill={r.small ? '#fff' : NEUTRAL.ink} stroke={NEUTRAL.ink} strokeWidth={1.5} />
                <text x={W - RIGHT + 12} y={y + 4} fontSize={12} fill={NEUTRAL.ink}>
                  {signed(r.estimate)} ({ci(r.lower, r.upper)})
                </text>
              </>
            ) : (
              <text x={LEFT} y={y + 4} fontSize={12} fill={NEUTRAL.muted}>
                not estimable or withheld
              </text>
            )}
            <text x={W - 70} y={y + 4} fontSize={12} fill={NEUTRAL.muted}>
              {countText(r.n1)} / {countText(r.n0)}
            </text>
          </g>
        );
      })}
      <line x1={LEFT} x2={LEFT + plotW} y1={TOP + rows.length * ROW} y2={TOP + rows.length * ROW} stroke={NEUTRAL.reference} />
      {ticks.map((t) => (
        <g key={t}>
          <line x1={sx(t)} x2={sx(t)} y1={TOP + rows.length * ROW} y2={TOP + rows.length * ROW + 4} stroke={NEUTRAL.reference} />
          <text x={sx(t)} y={TOP + rows.length * ROW + 16} fontSize={11} textAnchor="middle" fill={NEUTRAL.muted}>
            {signed(t, Math.abs(t) < 1 && t !== 0 ? 1 : 0)}
          </text>
        </g>
      ))}
      <text x={LEFT} y={height - 6} fontSize={11} fill={NEUTRAL.muted}>← conservative better</text>
      <text x={LEFT + plotW} y={height - 6} fontSize={11} fill={NEUTRAL.muted} textAnchor="end">interventional better ({unit}) →</text>
    </svg>
  );
}

/** About `count` round tick values between lo and hi. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out;
}
