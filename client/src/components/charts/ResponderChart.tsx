import { Bar, BarChart, CartesianGrid, Cell, ErrorBar, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatPercent } from '../../data/format.ts';
import { percentText, responderBars, type ResponderBar, type Responders } from '../../data/outcomes.ts';
import { CARE_PATH_STYLES, NEUTRAL } from './palette.ts';

/**
 * Responder rate per group (treatment category) with its Wilson 95 %
 * interval as a whisker, coloured by care path. One bar per group: at most a
 * few dozen marks.
 */
export function ResponderChart({ responders }: { responders: Responders }) {
  const bars = responderBars(responders);
  const height = Math.max(160, 34 * bars.length + 40);
  return (
    <div className="chart" role="img" aria-label="Responder rate by treatment category with 95% confidence intervals">
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={bars} layout="vertical" margin={{ top: 4, right: 8, bottom: 4, left: 8 }}>
          <CartesianGrid stroke={NEUTRAL.grid} horizontal={false} />
          <XAxis type="number" domain={[0, 100]} tickFormatter={(v: number) => `${v}%`} tick={{ fontSize: 12, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} />
          <YAxis yAxisId="name" type="category" dataKey="label" width={200} tick={{ fontSize: 12, fill: NEUTRAL.ink }} stroke={NEUTRAL.reference} interval={0} />
          {/* The figure of each bar on the right, clear of the whiskers. */}
          <YAxis yAxisId="figure" orientation="right" type="category" dataKey="figure" width={104} tick={{ fontSize: 12, fill: NEUTRAL.muted }} axisLine={false} tickLine={false} interval={0} />
          <Bar yAxisId="name" dataKey="rate" isAnimationActive={false} barSize={18}>
            {bars.map((b) => (
              <Cell key={String(b.key)} fill={b.carePath ? CARE_PATH_STYLES[b.carePath].color : NEUTRAL.muted} />
            ))}
            <ErrorBar dataKey="error" width={6} strokeWidth={1.5} stroke={NEUTRAL.ink} direction="x" />
          </Bar>
          <Tooltip cursor={{ fill: 'rgba(27,36,48,0.05)' }} content={<ResponderTooltip />} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function ResponderTooltip({ active, payload }: { active?: boolean; payload?: Array<{ payload: ResponderBar }> }) {
  const b = payload?.[0]?.payload;
  if (!active || !b) return null;
  return (
    <div className="chart-tooltip">
      <p className="chart-tooltip__title">{b.label}</p>
      <p>
        {b.rate === null ? 'Not shown' : percentText({ x: 0, n: 0, p: b.rate / 100, lower: b.lower, upper: b.upper })}: {b.x} of {b.n}
      </p>
      <p>95% CI {b.lower === null || b.upper === null ? '—' : `${formatPercent(b.lower)} to ${formatPercent(b.upper)}`} (Wilson)</p>
    </div>
  );
}
