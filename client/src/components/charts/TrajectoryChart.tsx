import { Area, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CarePath } from '../../../../db/schema/vocabulary.ts';
import { changeText, ciText, trajectoryRows, type Trajectory, type TrajectoryRow } from '../../data/outcomes.ts';
import { CARE_PATH_STYLES, NEUTRAL, SERIES_COLORS } from './palette.ts';

type Props = { trajectory: Trajectory; unit: string };

const styleOf = (key: string | null, i: number) =>
  key && key in CARE_PATH_STYLES
    ? CARE_PATH_STYLES[key as CarePath]
    : { label: key ?? '', color: SERIES_COLORS[i % SERIES_COLORS.length]!, band: 'rgba(0,0,0,0.08)', dash: undefined, marker: 'circle' as const };

/**
 * Mean change from baseline at each follow-up window, per care path, with the
 * 95 % confidence band: 6 points per series (baseline and five windows).
 */
export function TrajectoryChart({ trajectory, unit }: Props) {
  const rows = trajectoryRows(trajectory);
  const series = trajectory.series.map((s, i) => ({ key: `${s.key}`, label: s.label, style: styleOf(s.key, i) }));
  // A y axis on whole points, always including 0 (no change).
  const values = rows.flatMap((r) => series.flatMap((s) => (Array.isArray(r[`${s.key}Band`]) ? (r[`${s.key}Band`] as number[]) : [])));
  const lo = Math.min(0, Math.floor(Math.min(...values, 0)));
  const hi = Math.max(1, Math.ceil(Math.max(...values, 0)));
  return (
    <div className="chart" role="img" aria-label={`Mean change from baseline by follow-up window, ${series.map((s) => s.label).join(' and ')}`}>
      <ResponsiveContainer width="100%" height={340}>
        <ComposedChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 4 }}>
          <CartesianGrid stroke={NEUTRAL.grid} vertical={false} />
          <XAxis dataKey="tick" type="category" interval={0} tick={{ fontSize: 12, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} padding={{ left: 12, right: 12 }} />
          <YAxis
            domain={[lo, hi]}
            allowDecimals
            tickCount={Math.min(9, hi - lo + 1)}
            tick={{ fontSize: 12, fill: NEUTRAL.muted }}
            stroke={NEUTRAL.reference}
            width={48}
            label={{ value: `Mean change (${unit})`, angle: -90, position: 'insideLeft', offset: 8, style: { fontSize: 12, fill: NEUTRAL.muted, textAnchor: 'middle' } }}
          />
          <ReferenceLine y={0} stroke={NEUTRAL.reference} />
          {series.map((s) => (
            <Area
              key={`${s.key}-band`}
              dataKey={`${s.key}Band`}
              stroke="none"
              fill={s.style.band}
              isAnimationActive={false}
              connectNulls
              legendType="none"
              activeDot={false}
              name={`${s.label} 95% CI`}
            />
          ))}
          {series.map((s) => (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.label}
              stroke={s.style.color}
              strokeWidth={2}
              strokeDasharray={s.style.dash}
              dot={{ r: 3.5, fill: s.style.color }}
              isAnimationActive={false}
              connectNulls={false}
            />
          ))}
          <Tooltip content={<TrajectoryTooltip series={series} unit={unit} />} />
          <Legend verticalAlign="top" height={28} iconType="plainline" itemSorter={null} />
        </ComposedChart>
      </ResponsiveContainer>
      <table className="table table--dense chart-n">
        <caption className="visually-hidden">Complete cases (n) at each window</caption>
        <thead>
          <tr>
            <th scope="col">n</th>
            {rows.slice(1).map((r) => (
              <th key={r.tick} scope="col" className="numeric">
                {r.tick}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {series.map((s) => (
            <tr key={s.key}>
              <th scope="row">{s.label}</th>
              {rows.slice(1).map((r) => (
                <td key={r.tick} className="numeric">
                  {String(r[`${s.key}N`])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function TrajectoryTooltip({
  active,
  payload,
  series,
  unit,
}: {
  active?: boolean;
  payload?: Array<{ payload: TrajectoryRow }>;
  series: Array<{ key: string; label: string }>;
  unit: string;
}) {
  const row = payload?.[0]?.payload;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <p className="chart-tooltip__title">{row.label}</p>
      {row.day === 0 ? (
        <p>Change is 0 at baseline by definition.</p>
      ) : (
        series.map((s) => {
          const band = row[`${s.key}Band`] as [number, number] | null;
          return (
            <p key={s.key}>
              <strong>{s.label}</strong>: {changeText(row[s.key] as number | null)} {unit}, 95% CI {band ? ciText(band[0], band[1]) : '—'} (n ={' '}
              {String(row[`${s.key}N`])})
            </p>
          );
        })
      )}
    </div>
  );
}
