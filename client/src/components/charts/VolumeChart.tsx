import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCount } from '../../data/format.ts';
import { changeText, volumeRows, type Volume, type VolumeRow } from '../../data/operations.ts';
import { NEUTRAL, SERIES_COLORS } from './palette.ts';

type Props = { volume: Volume; view: 'stacked' | 'split'; unitLabel: string };

/** Remainders ("other groups", "other codes", "no code") are grey: they are not one group, and must not look like one. */
export const colourOf = (key: string, i: number) => (key === 'others' || key === 'other' || key === 'none' ? NEUTRAL.reference : SERIES_COLORS[i % SERIES_COLORS.length]!);

/**
 * Procedure volume per period. Stacked: bars (areas beyond 60 periods, one
 * mark per group) adding up to the total; split: one line per group, on its
 * own scale from 0. At most 9 series (8 named groups and "other"), so marks
 * stay few at any period.
 */
export function VolumeChart({ volume, view, unitLabel }: Props) {
  const rows = volumeRows(volume);
  const series = volume.groups.map((g, j) => ({ key: `g${j}` as const, label: g.label, color: colourOf(g.key, j) }));
  const manyBuckets = rows.length > 60;
  const axis = (
    <>
      <CartesianGrid stroke={NEUTRAL.grid} vertical={false} />
      <XAxis dataKey="label" tick={{ fontSize: 11, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} minTickGap={24} />
      <YAxis
        tick={{ fontSize: 12, fill: NEUTRAL.muted }}
        stroke={NEUTRAL.reference}
        width={64}
        tickFormatter={(v: number) => formatCount(v)}
        label={{ value: unitLabel, angle: -90, position: 'insideLeft', offset: 4, style: { fontSize: 12, fill: NEUTRAL.muted, textAnchor: 'middle' } }}
      />
      <Tooltip content={<VolumeTooltip series={series} />} />
      <Legend verticalAlign="top" height={40} itemSorter={null} />
    </>
  );
  const margin = { top: 4, right: 12, bottom: 4, left: 4 };
  return (
    <div className="chart" role="img" aria-label={`${unitLabel} per ${volume.period}, ${view === 'stacked' ? 'stacked' : 'one line per group'}: ${series.map((s) => s.label).join(', ')}`}>
      <ResponsiveContainer width="100%" height={340}>
        {view === 'split' ? (
          <LineChart data={rows} margin={margin}>
            {axis}
            {series.map((s) => (
              <Line key={s.key} dataKey={s.key} name={s.label} stroke={s.color} strokeWidth={1.75} dot={rows.length <= 40 ? { r: 2.5 } : false} isAnimationActive={false} connectNulls={false} />
            ))}
          </LineChart>
        ) : manyBuckets ? (
          <AreaChart data={rows} margin={margin}>
            {axis}
            {series.map((s) => (
              <Area key={s.key} dataKey={s.key} name={s.label} stackId="v" stroke={s.color} fill={s.color} fillOpacity={0.75} isAnimationActive={false} />
            ))}
          </AreaChart>
        ) : (
          <BarChart data={rows} margin={margin}>
            {axis}
            {series.map((s) => (
              <Bar key={s.key} dataKey={s.key} name={s.label} stackId="v" fill={s.color} isAnimationActive={false} />
            ))}
          </BarChart>
        )}
      </ResponsiveContainer>
    </div>
  );
}

function VolumeTooltip({ active, payload, series }: { active?: boolean; payload?: Array<{ payload: VolumeRow }>; series: Array<{ key: `g${number}`; label: string; color: string }> }) {
  const r = payload?.[0]?.payload;
  if (!active || !r) return null;
  return (
    <div className="chart-tooltip">
      <p className="chart-tooltip__title">{r.label}</p>
      {series.map((s) => (
        <p key={s.key}>
          <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {s.label}: {r[s.key] === null ? 'withheld' : formatCount(r[s.key])}
        </p>
      ))}
      <p>
        Total {r.total === null ? 'withheld' : formatCount(r.total)}; vs previous {changeText(r.periodChange)}; vs a year before {changeText(r.yearChange)}
      </p>
    </div>
  );
}
