import { lazy, Suspense, useRef, type ReactNode } from 'react';
import { ChartExport } from '../../components/export/ExportButtons.tsx';
import { LoadingState } from '../../components/ui/LoadingState.tsx';

/** A chart with its SVG / PNG download buttons; the chart's library loads beside the figures. */
export function ChartFrame({ title, children, extra }: { title: string; children: ReactNode; extra?: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  return (
    <div className="ops-chart">
      <div className="ops-chart__exports">
        {extra}
        <ChartExport target={ref} title={title} />
      </div>
      <div ref={ref}>
        <Suspense fallback={<LoadingState variant="chart" label="Loading the chart" />}>{children}</Suspense>
      </div>
    </div>
  );
}

export const VolumeChart = lazy(async () => ({ default: (await import('../../components/charts/VolumeChart.tsx')).VolumeChart }));
export const ShareChart = lazy(async () => ({ default: (await import('../../components/charts/ShareChart.tsx')).ShareChart }));
export const IntervalHistogram = lazy(async () => ({ default: (await import('../../components/charts/IntervalHistogram.tsx')).IntervalHistogram }));
export const CompletionChart = lazy(async () => ({ default: (await import('../../components/charts/CompletionChart.tsx')).CompletionChart }));
