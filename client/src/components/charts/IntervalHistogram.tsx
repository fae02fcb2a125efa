import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDecimal } from '../../data/format.ts';
import { intervalRows, type Repeats } from '../../data/operations.ts';
import { NEUTRAL, SERIES_COLORS } from './palette.ts';

/**
 * Days from a session to the next of the same type and region, in 30-day bins,
 * as each type's share of its intervals; the 4 types with the most intervals
 * (at most 52 bars).
 */
export function IntervalHistogram({ repeats }: { repeats: Repeats }) {
  const rows = intervalRows(repeats);
  const types = [...repeats.byCategory]
    .filter((c) => typeof c.intervals === 'number' && c.intervals > 0)
    .sort((a, b) => (b.intervals as number) - (a.intervals as number))
    .slice(0, 4);
  return (
    <div className="chart" role="img" aria-label={`Interval to the next session of the same type and region: ${types.map((t) => t.label).join(', ')}`}>
      <ResponsiveContainer width="100%" height={280}>
        <BarChart data={rows} margin={{ top: 4, right: 12, bottom: 16, left: 4 }} barCategoryGap={2}>
          <CartesianGrid stroke={NEUTRAL.grid} vertical={false} />
          <XAxis
            dataKey="label"
            tick={{ fontSize: 10, fill: NEUTRAL.muted }}
            stroke={NEUTRAL.reference}
            interval={0}
            label={{ value: 'Days to the next session', position: 'insideBottom', offset: -8, style: { fontSize: 12, fill: NEUTRAL.muted } }}
          />
          <YAxis tickFormatter={(v: number) => `${v}%`} tick={{ fontSize: 12, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} width={44} />
          {types.map((t, i) => (
            <Bar key={t.key} dataKey={t.key} name={t.label} fill={SERIES_COLORS[(i + 2) % SERIES_COLORS.length]} isAnimationActive={false} />
          ))}
          <Tooltip formatter={(v) => (typeof v === 'number' ? `${formatDecimal(v, 1)}%` : 'withheld')} />
          <Legend verticalAlign="top" height={28} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
