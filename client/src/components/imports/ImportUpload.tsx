import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { describeError } from '../../data/errors.ts';
import { formatCount, formatIsoDate, plural } from '../../data/format.ts';
import { MODE_LABELS, STATUS_LABELS, uploadProblem, type ImportReport } from '../../data/imports.ts';
import { useTRPC } from '../../trpc.ts';
import { RowCountCells, RowCountHeaders } from './RowCounts.tsx';

/**
 * Upload of a practice's CSV files (practice managers and admins): the files
 * are read in the browser and sent as JSON to `imports.run`; the import's
 * report is shown when it returns.
 */
export function ImportUpload() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const inputId = useId();
  const [files, setFiles] = useState<File[]>([]);
  const [mode, setMode] = useState<'partial' | 'all_or_nothing'>('partial');
  const [reading, setReading] = useState(false);
  const run = useMutation(
    trpc.imports.run.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.imports.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.records.summary.queryKey() }),
        ]);
      },
    }),
  );
  const problem = files.length ? uploadProblem(files) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (uploadProblem(files)) return;
    setReading(true);
    try {
      const contents = await Promise.all(files.map(async (f) => ({ name: f.name, content: await f.text() })));
      run.mutate({ mode, files: contents });
    } finally {
      setReading(false);
    }
  };

  return (
    <div className="upload">
      <form className="form-grid" onSubmit={(e) => void submit(e)} aria-label="Import files">
        <label className="field field--wide" htmlFor={inputId}>
          <span className="field__label">CSV files (sites, providers, patients, episodes, treatments, observations)</span>
          <input
            id={inputId}
            className="field__input"
            type="file"
            accept=".csv,text/csv"
            multiple
            onChange={(e) => {
              setFiles([...(e.target.files ?? [])]);
              run.reset();
            }}
          />
        </label>
        <fieldset className="field field--wide">
          <legend className="field__label">When some rows are invalid</legend>
          {(Object.keys(MODE_LABELS) as Array<keyof typeof MODE_LABELS>).map((m) => (
            <label key={m} className="field--check">
              <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
              <span>{MODE_LABELS[m]}</span>
            </label>
          ))}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={!files.length || !!problem || reading || run.isPending}>
            {reading ? 'Reading the files…' : run.isPending ? 'Importing…' : files.length ? `Import ${plural(files.length, 'file')}` : 'Import'}
          </button>
        </div>
        {problem ? (
          <p className="form-error" role="alert">
            {problem}
          </p>
        ) : null}
        {run.error ? (
          <p className="form-error" role="alert">
            The import failed: {describeError(run.error)}
          </p>
        ) : null}
      </form>
      {run.data ? <ImportReportView report={run.data} /> : null}
    </div>
  );
}

/** An import's report: what was stored, what was refused and why (no PHI: reasons never quote values). */
export function ImportReportView({ report }: { report: ImportReport }) {
  const t = report.totals;
  return (
    <section className="import-report" aria-label={`Import ${report.importId} report`}>
      <h3 className="import-report__title">
        Import {report.importId}: <span className={`badge badge--import-${report.status}`}>{STATUS_LABELS[report.status]}</span>
      </h3>
      <dl className="facts">
        {(
          [
            ['Rows read', t.rows],
            ['Inserted', t.inserted],
            ['Updated', t.updated],
            ['Unchanged', t.unchanged],
            ['Rejected', t.rejected],
          ] as const
        ).map(([label, n]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>
              <data value={n}>{formatCount(n)}</data>
            </dd>
          </div>
        ))}
      </dl>
      <div className="table-wrap">
        <table className="table table--dense">
          <caption className="visually-hidden">Files</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Table</th>
              <th scope="col" className="numeric">
                Rows
              </th>
              <RowCountHeaders />
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {report.files.map((f) => (
              <tr key={f.file}>
                <th scope="row" className="mono">
                  {f.file}
                </th>
                <td>{f.table ?? '—'}</td>
                <td className="numeric">{formatCount(f.rows)}</td>
                <RowCountCells counts={f} />
                <td>{f.error ? f.error.reason : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {report.errors.length ? (
        <details className="import-report__errors" open={report.errors.length <= 10}>
          <summary>
            {plural(report.errorCount, 'problem')}
            {report.errorsTruncated ? ` (the first ${formatCount(report.errors.length)} listed)` : ''}
          </summary>
          <ul>
            {report.errors.map((e, i) => (
              <li key={i}>
                <span className="mono">
                  {e.file}
                  {e.line !== null ? `:${e.line}` : ''}
                  {e.column ? ` ${e.column}` : ''}
                </span>{' '}
                {e.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {report.notes.length ? (
        <ul className="import-report__notes">
          {report.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      ) : null}
      <p className="footnote">
        Started {formatIsoDate(report.startedAt)} · mode: {MODE_LABELS[report.mode].toLowerCase()}
      </p>
    </section>
  );
}
