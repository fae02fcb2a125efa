import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDecimal } from '../../data/format.ts';
import { followUpRows, type FollowUp } from '../../data/operations.ts';
import { NEUTRAL, SERIES_COLORS } from './palette.ts';

/** At most this many providers or sites as lines (the largest); all are in the table. */
export const MAX_LINES = 8;

/** Follow-up completion per index-date period, one line per provider or site. */
export function CompletionChart({ followUp }: { followUp: FollowUp }) {
  const rows = followUpRows(followUp);
  const series = followUp.groups
    .map((g, j) => ({ key: `g${j}`, label: g.label, size: typeof g.episodes === 'number' ? g.episodes : 0 }))
    .sort((a, b) => b.size - a.size)
    .slice(0, MAX_LINES);
  return (
    <div className="chart" role="img" aria-label={`Follow-up completion per period: ${series.map((s) => s.label).join(', ')}`}>
      <ResponsiveContainer width="100%" height={300}>
        <LineChart data={rows} margin={{ top: 4, right: 12, bottom: 4, left: 4 }}>
          <CartesianGrid stroke={NEUTRAL.grid} vertical={false} />
          <XAxis dataKey="bucket" tick={{ fontSize: 11, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} minTickGap={16} />
          <YAxis domain={[0, 100]} tickFormatter={(v: number) => `${v}%`} tick={{ fontSize: 12, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} width={44} />
          {series.map((s, i) => (
            <Line key={s.key} dataKey={s.key} name={s.label} stroke={SERIES_COLORS[i % SERIES_COLORS.length]} strokeWidth={1.75} dot={{ r: 2 }} isAnimationActive={false} connectNulls={false} />
          ))}
          <Tooltip formatter={(v) => (typeof v === 'number' ? `${formatDecimal(v, 1)}%` : 'withheld')} />
          <Legend verticalAlign="top" height={40} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
