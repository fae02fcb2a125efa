import type { CarePath } from '../../../../db/schema/vocabulary.ts';
import { countText, stepPoints, type Curve } from '../../data/compare.ts';
import { CARE_PATH_STYLES, NEUTRAL, SERIES_COLORS } from './palette.ts';

const W = 760;
const LEFT = 120;
const RIGHT = 20;
const TOP = 34;
const PLOT_H = 260;

/** The colour and dash of curve i (care paths in their palette colours; categories in series colours). */
export const styleOf = (key: string, i: number) =>
  key in CARE_PATH_STYLES
    ? CARE_PATH_STYLES[key as CarePath]
    : { label: key, color: SERIES_COLORS[(i + 2) % SERIES_COLORS.length]!, band: 'rgba(0,0,0,0.06)', dash: i % 2 ? '5 3' : undefined, marker: 'circle' as const };

/**
 * Kaplan-Meier curves of the share of responders whose response lasts (no
 * loss of response, no repeat procedure), with log-log 95 % bands (paths
 * only: with many categories bands would hide the curves) and the numbers at
 * risk under the plot. Plain SVG: one step path per curve (at most ~450 steps).
 */
export function KaplanMeierChart({ curves, title, bands, maxDay = 456 }: { curves: readonly Curve[]; title: string; bands: boolean; maxDay?: number }) {
  const plotW = W - LEFT - RIGHT;
  const sx = (d: number) => LEFT + (Math.min(d, maxDay) / maxDay) * plotW;
  const sy = (s: number) => TOP + (1 - s) * PLOT_H;
  const riskDays = curves[0]?.atRisk.map((a) => a.day) ?? [];
  const riskTop = TOP + PLOT_H + 40;
  const height = riskTop + 18 * (curves.length + 1) + 8;
  const path = (pts: Array<[number, number]>) => pts.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
  return (
    <svg viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label={title} className="km-chart" style={{ maxWidth: W }}>
      <title>{title}</title>
      {[0, 0.25, 0.5, 0.75, 1].map((s) => (
        <g key={s}>
          <line x1={LEFT} x2={LEFT + plotW} y1={sy(s)} y2={sy(s)} stroke={s === 0.5 ? NEUTRAL.reference : NEUTRAL.grid} strokeDasharray={s === 0.5 ? '3 3' : undefined} />
          <text x={LEFT - 6} y={sy(s) + 4} fontSize={11} textAnchor="end" fill={NEUTRAL.muted}>{`${s * 100}%`}</text>
        </g>
      ))}
      {riskDays.map((d) => (
        <g key={d}>
          <line x1={sx(d)} x2={sx(d)} y1={TOP + PLOT_H} y2={TOP + PLOT_H + 4} stroke={NEUTRAL.reference} />
          <text x={sx(d)} y={TOP + PLOT_H + 16} fontSize={11} textAnchor="middle" fill={NEUTRAL.muted}>{d}</text>
        </g>
      ))}
      <text x={LEFT + plotW / 2} y={TOP + PLOT_H + 30} fontSize={11} textAnchor="middle" fill={NEUTRAL.muted}>days after the index date</text>
      <text x={LEFT - 44} y={TOP + PLOT_H / 2} fontSize={11} fill={NEUTRAL.muted} transform={`rotate(-90 ${LEFT - 44} ${TOP + PLOT_H / 2})`} textAnchor="middle">still responding</text>
      {bands
        ? curves.map((c, i) => {
            const up = stepPoints(c.time, c.upper);
            const lo = stepPoints(c.time, c.lower);
            const n = Math.min(up.length, lo.length);
            if (n < 2) return null;
            const d = `${path(up.slice(0, n))}L${[...lo.slice(0, n)].reverse().map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('L')}Z`;
            return <path key={`${c.key}-band`} d={d} fill={styleOf(c.key, i).band} stroke="none" />;
          })
        : null}
      {curves.map((c, i) => {
        const st = styleOf(c.key, i);
        return <path key={c.key} d={path(stepPoints(c.time, c.surv))} fill="none" stroke={st.color} strokeWidth={2} strokeDasharray={st.dash} />;
      })}
      <line x1={LEFT} x2={LEFT + plotW} y1={TOP + PLOT_H} y2={TOP + PLOT_H} stroke={NEUTRAL.reference} />
      <g fontSize={12}>
        {curves.map((c, i) => {
          const st = styleOf(c.key, i);
          const x = LEFT + (i % 4) * 170;
          const y = 12 + Math.floor(i / 4) * 0;
          return i < 4 ? (
            <g key={c.key}>
              <line x1={x} x2={x + 20} y1={y} y2={y} stroke={st.color} strokeWidth={2} strokeDasharray={st.dash} />
              <text x={x + 26} y={y + 4} fill={NEUTRAL.ink}>{c.label}</text>
            </g>
          ) : null;
        })}
      </g>
      <text x={8} y={riskTop} fontSize={11} fontWeight={600} fill={NEUTRAL.muted}>Number at risk</text>
      {curves.map((c, i) => (
        <g key={`${c.key}-risk`} fontSize={11}>
          <text x={8} y={riskTop + 18 * (i + 1)} fill={styleOf(c.key, i).color}>{c.label.length > 17 ? `${c.label.slice(0, 16)}…` : c.label}</text>
          {c.atRisk.map((a) => (
            <text key={a.day} x={sx(a.day)} y={riskTop + 18 * (i + 1)} textAnchor="middle" fill={NEUTRAL.ink}>{countText(a.n)}</text>
          ))}
        </g>
      ))}
    </svg>
  );
}
