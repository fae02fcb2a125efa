import type { LoveRow } from '../../data/compare.ts';
import { formatDecimal } from '../../data/format.ts';
import { NEUTRAL } from './palette.ts';
import { niceTicks } from './ForestPlot.tsx';

const W = 760;
const ROW = 22;
const LEFT = 290;
const RIGHT = 24;
const TOP = 28;

/**
 * Love plot: the absolute standardised mean difference of each covariate
 * before weighting (hollow circle) and after (filled), with the 0.1 line the
 * spec calls balanced. A covariate still at 0.1 or more after weighting is
 * drawn in the warning colour and named.
 */
export function LovePlot({ rows, title, afterLabel = 'After weighting' }: { rows: readonly LoveRow[]; title: string; afterLabel?: string }) {
  const max = Math.max(0.2, ...rows.flatMap((r) => [r.before ?? 0, r.after ?? 0]));
  const plotW = W - LEFT - RIGHT;
  const sx = (v: number) => LEFT + (v / (max * 1.05)) * plotW;
  const height = TOP + rows.length * ROW + 36;
  const bottom = TOP + rows.length * ROW;
  return (
    <svg viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label={title} className="love-plot" style={{ maxWidth: W }}>
      <title>{title}</title>
      <g fontSize={12} fill={NEUTRAL.muted}>
        <circle cx={LEFT - 150} cy={12} r={5} fill="#fff" stroke={NEUTRAL.muted} strokeWidth={1.5} />
        <text x={LEFT - 140} y={16}>Before weighting</text>
        <circle cx={LEFT} cy={12} r={5} fill={NEUTRAL.ink} />
        <text x={LEFT + 10} y={16}>{afterLabel}</text>
        <line x1={LEFT + 140} x2={LEFT + 158} y1={12} y2={12} stroke="#b00020" strokeDasharray="4 3" />
        <text x={LEFT + 164} y={16}>|SMD| = 0.1 (balanced below)</text>
      </g>
      <line x1={sx(0.1)} x2={sx(0.1)} y1={TOP - 4} y2={bottom} stroke="#b00020" strokeDasharray="4 3" />
      {rows.map((r, i) => {
        const y = TOP + i * ROW + ROW / 2;
        return (
          <g key={r.label}>
            <text x={LEFT - 10} y={y + 4} fontSize={12} textAnchor="end" fill={r.imbalanced ? '#b00020' : NEUTRAL.ink} fontWeight={r.imbalanced ? 600 : 400}>
              {r.label}
            </text>
            <line x1={LEFT} x2={LEFT + plotW} y1={y} y2={y} stroke={NEUTRAL.grid} />
            {r.before !== null && r.after !== null ? <line x1={sx(r.before)} x2={sx(r.after)} y1={y} y2={y} stroke={NEUTRAL.reference} /> : null}
            {r.before !== null ? <circle cx={sx(r.before)} cy={y} r={5} fill="#fff" stroke={NEUTRAL.muted} strokeWidth={1.5} /> : null}
            {r.after !== null ? <circle cx={sx(r.after)} cy={y} r={5} fill={r.imbalanced ? '#b00020' : NEUTRAL.ink} /> : null}
          </g>
        );
      })}
      <line x1={LEFT} x2={LEFT + plotW} y1={bottom} y2={bottom} stroke={NEUTRAL.reference} />
      {niceTicks(0, max * 1.05, 6).map((t) => (
        <text key={t} x={sx(t)} y={bottom + 16} fontSize={11} textAnchor="middle" fill={NEUTRAL.muted}>
          {formatDecimal(t, 2)}
        </text>
      ))}
      <text x={LEFT + plotW} y={height - 4} fontSize={11} textAnchor="end" fill={NEUTRAL.muted}>
        absolute standardised mean difference
      </text>
    </svg>
  );
}
