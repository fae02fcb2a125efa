import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CarePath } from '../../../../db/schema/vocabulary.ts';
import { formatDecimal } from '../../data/format.ts';
import { histogramRows, type Distribution, type HistogramRow } from '../../data/outcomes.ts';
import { CARE_PATH_STYLES, NEUTRAL, SERIES_COLORS } from './palette.ts';

/**
 * The distribution of change at the window: the share of each care path's
 * complete cases per bin of change (bins of 1 point of pain, 5 of ODI, 2 of a
 * PROMIS T-score), side by side. At most ~40 bins per series.
 */
export function ChangeHistogram({ distribution, unit }: { distribution: Distribution; unit: string }) {
  const rows = histogramRows(distribution);
  const zero = rows.find((r) => r.from <= 0 && 0 < r.to)?.label;
  return (
    <div className="chart" role="img" aria-label="Distribution of change from baseline, share of episodes per bin, by care path">
      <ResponsiveContainer width="100%" height={280}>
        <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 20, left: 4 }} barGap={1} barCategoryGap="12%">
          <CartesianGrid stroke={NEUTRAL.grid} vertical={false} />
          <XAxis
            dataKey="label"
            tick={{ fontSize: 11, fill: NEUTRAL.muted }}
            stroke={NEUTRAL.reference}
            interval="preserveStartEnd"
            label={{ value: `Change (${unit}); right of 0 = better`, position: 'insideBottom', offset: -12, style: { fontSize: 12, fill: NEUTRAL.muted } }}
          />
          <YAxis tickFormatter={(v: number) => `${v}%`} tick={{ fontSize: 12, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} width={44} />
          {zero ? <ReferenceLine x={zero} stroke={NEUTRAL.reference} strokeDasharray="3 3" /> : null}
          {distribution.series.filter((s) => !s.withheld).map((s, i) => {
            const style = s.key && s.key in CARE_PATH_STYLES ? CARE_PATH_STYLES[s.key as CarePath] : null;
            return (
              <Bar
                key={String(s.key)}
                dataKey={String(s.key)}
                name={s.label}
                fill={style?.color ?? SERIES_COLORS[i % SERIES_COLORS.length]}
                fillOpacity={style?.dash ? 0.75 : 1}
                isAnimationActive={false}
              />
            );
          })}
          <Tooltip content={<HistogramTooltip series={distribution.series.filter((s) => !s.withheld).map((s) => ({ key: String(s.key), label: s.label }))} unit={unit} />} />
          <Legend verticalAlign="top" height={28} itemSorter={null} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function HistogramTooltip({
  active,
  payload,
  series,
  unit,
}: {
  active?: boolean;
  payload?: Array<{ payload: HistogramRow }>;
  series: Array<{ key: string; label: string }>;
  unit: string;
}) {
  const row = payload?.[0]?.payload;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <p className="chart-tooltip__title">
        Change from {formatDecimal(row.from, 1)} to {formatDecimal(row.to, 1)} {unit}
      </p>
      {series.map((s) => (
        <p key={s.key}>
          <strong>{s.label}</strong>: {row[s.key] === null || row[s.key] === undefined ? 'not shown' : `${formatDecimal(row[s.key] as number, 1)}%`} ({String(row[`${s.key}Count`])} episodes)
        </p>
      ))}
    </div>
  );
}
