import { useState, type RefObject } from 'react';
import type { CsvColumn } from '../../../../server/domain/csv.ts';
import { downloadBlob, downloadCsv, fileSlug, standaloneSvg, svgToPng } from './download.ts';

type ChartExportProps = {
  /** The element that contains the chart's <svg> (the first one, or the one marked .recharts-surface, is exported). */
  target: RefObject<HTMLElement | null>;
  /** The chart's title: written into the file and used for its name. */
  title: string;
};

/** "SVG" and "PNG" buttons that download the chart inside `target` as it is drawn now. */
export function ChartExport({ target, title }: ChartExportProps) {
  const [error, setError] = useState<string | null>(null);
  const find = (): SVGSVGElement | null =>
    target.current?.querySelector<SVGSVGElement>('svg.recharts-surface') ?? target.current?.querySelector('svg') ?? null;

  const exportAs = async (format: 'svg' | 'png') => {
    setError(null);
    const svg = find();
    if (!svg) {
      setError('Nothing to export yet: the chart has not been drawn.');
      return;
    }
    try {
      const text = standaloneSvg(svg, title);
      const name = fileSlug(title);
      if (format === 'svg') downloadBlob(new Blob([text], { type: 'image/svg+xml;charset=utf-8' }), `${name}.svg`);
      else {
        const { width, height } = svg.getBoundingClientRect();
        downloadBlob(await svgToPng(text, width, height), `${name}.png`);
      }
    } catch (err) {
      setError(err instanceof Error ? err.message : 'The chart could not be exported.');
    }
  };

  return (
    <span className="export-buttons" role="group" aria-label={`Download ${title}`}>
      <button type="button" className="button button--small" onClick={() => void exportAs('svg')}>
        SVG
      </button>
      <button type="button" className="button button--small" onClick={() => void exportAs('png')}>
        PNG
      </button>
      {error ? (
        <span role="alert" className="export-buttons__error">
          {error}
        </span>
      ) : null}
    </span>
  );
}

type CsvExportProps<Row> = {
  /** File name without extension (slugified). */
  filename: string;
  columns: readonly CsvColumn<Row>[];
  rows: readonly Row[] | undefined;
  label?: string;
};

/** A "CSV" button that downloads a table's rows (formula-safe, server/domain/csv.ts). */
export function CsvExport<Row>({ filename, columns, rows, label = 'CSV' }: CsvExportProps<Row>) {
  return (
    <button
      type="button"
      className="button button--small"
      disabled={!rows || rows.length === 0}
      onClick={() => rows && downloadCsv(`${fileSlug(filename)}.csv`, columns, rows)}
    >
      {label}
    </button>
  );
}
