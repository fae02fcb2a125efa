import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDecimal } from '../../data/format.ts';
import { mixRows, type Mix, type MixRow } from '../../data/operations.ts';
import { CARE_PATH_STYLES, NEUTRAL } from './palette.ts';

/** The interventional share of new episodes per period, with its Wilson 95 % band. */
export function ShareChart({ mix }: { mix: Mix }) {
  const rows = mixRows(mix);
  const style = CARE_PATH_STYLES.interventional;
  return (
    <div className="chart" role="img" aria-label="Share of episodes on the interventional path per period, with 95% confidence band">
      <ResponsiveContainer width="100%" height={260}>
        <ComposedChart data={rows} margin={{ top: 8, right: 12, bottom: 4, left: 4 }}>
          <CartesianGrid stroke={NEUTRAL.grid} vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 11, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} minTickGap={16} />
          <YAxis domain={[0, 100]} tickFormatter={(v: number) => `${v}%`} tick={{ fontSize: 12, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} width={44} />
          <Area dataKey="band" stroke="none" fill={style.band} isAnimationActive={false} activeDot={false} legendType="none" />
          <Line dataKey="share" name="Interventional share" stroke={style.color} strokeWidth={2} dot={{ r: 2.5, fill: style.color }} isAnimationActive={false} connectNulls={false} />
          <Tooltip content={<ShareTooltip />} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

function ShareTooltip({ active, payload }: { active?: boolean; payload?: Array<{ payload: MixRow }> }) {
  const r = payload?.[0]?.payload;
  if (!active || !r) return null;
  return (
    <div className="chart-tooltip">
      <p className="chart-tooltip__title">{r.label}</p>
      <p>
        Interventional: {r.share === null ? 'withheld' : `${formatDecimal(r.share, 1)}%`} of {r.n} episodes
      </p>
      <p>95% CI {r.lower === null ? '—' : `${formatDecimal(r.lower, 1)}% to ${formatDecimal(r.upper, 1)}%`} (Wilson)</p>
    </div>
  );
}
