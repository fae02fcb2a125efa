import { CartesianGrid, ComposedChart, Line, ReferenceArea, ReferenceLine, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { MEASURES, type Measure } from '../../../../db/schema/vocabulary.ts';
import { timelineSeries, type Timeline, type TimelinePoint } from '../../data/outcomes.ts';
import { formatIsoDate } from '../../data/format.ts';
import { NEUTRAL } from './palette.ts';

/**
 * One episode's scores of one measure over days from the index date: the
 * baseline period and the follow-up windows shaded, treatments as vertical
 * lines, the observations the figures counted filled, the others hollow.
 */
export function TimelineChart({ timeline, measure }: { timeline: Timeline; measure: Measure }) {
  const points = timelineSeries(timeline, measure);
  const counted = points.filter((p) => p.counted !== null);
  const other = points.filter((p) => p.counted === null);
  const lastWindow = Math.max(...timeline.windows.map((w) => w.to));
  const scale = MEASURES[measure];
  const yMax = Number.isFinite(scale.max) ? scale.max : Math.max(10, ...points.map((p) => p.value));
  return (
    <div className="chart" role="img" aria-label={`${scale.label} over time for this episode`}>
      <ResponsiveContainer width="100%" height={220}>
        <ComposedChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 4 }}>
          <CartesianGrid stroke={NEUTRAL.grid} vertical={false} />
          <ReferenceArea x1={-timeline.baselineDays} x2={0} fill="rgba(31,63,102,0.08)" ifOverflow="extendDomain" label={{ value: 'Baseline', position: 'insideTop', fontSize: 11, fill: NEUTRAL.muted }} />
          {timeline.windows.map((w, i) => (
            <ReferenceArea key={w.window} x1={w.from} x2={w.to} fill={i % 2 ? 'rgba(91,102,117,0.06)' : 'rgba(91,102,117,0.12)'} ifOverflow="extendDomain" />
          ))}
          {timeline.treatments.map((t, i) => (
            <ReferenceLine key={i} x={t.day} stroke={NEUTRAL.ink} strokeDasharray="2 3" />
          ))}
          <XAxis
            dataKey="day"
            type="number"
            domain={[-timeline.baselineDays, lastWindow]}
            ticks={[0, ...timeline.windows.map((w) => w.target)]}
            tickFormatter={(d: number) => (d === 0 ? 'Index' : `d${d}`)}
            tick={{ fontSize: 11, fill: NEUTRAL.muted }}
            stroke={NEUTRAL.reference}
          />
          <YAxis domain={[scale.min, yMax]} tick={{ fontSize: 11, fill: NEUTRAL.muted }} stroke={NEUTRAL.reference} width={36} />
          <Line data={points} dataKey="value" stroke={NEUTRAL.reference} dot={false} isAnimationActive={false} />
          <Scatter data={other} dataKey="value" fill="#fff" stroke={NEUTRAL.ink} isAnimationActive={false} name="Not counted" />
          <Scatter data={counted} dataKey="value" fill={NEUTRAL.ink} isAnimationActive={false} name="Counted" />
          <Tooltip content={<PointTooltip />} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

function PointTooltip({ active, payload }: { active?: boolean; payload?: Array<{ payload: TimelinePoint }> }) {
  const p = payload?.[0]?.payload;
  if (!active || !p) return null;
  return (
    <div className="chart-tooltip">
      <p className="chart-tooltip__title">
        {formatIsoDate(p.date)} (day {p.day})
      </p>
      <p>Score {p.value}</p>
      <p>{p.counted === 'baseline' ? 'Counted as the baseline' : p.counted ? `Counted for the ${p.counted} window` : 'Not counted in any figure'}</p>
    </div>
  );
}
