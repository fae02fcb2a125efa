import { useMutation } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { downloadBlob } from '../../components/export/download.ts';
import { Card } from '../../components/ui/Card.tsx';
import { Definition } from '../../components/ui/Definition.tsx';
import { ErrorState } from '../../components/ui/ErrorState.tsx';
import { countText, fileNameOf, progressText, type Definition as CohortDefinition } from '../../data/cohorts.ts';
import { useTRPC } from '../../trpc.ts';

type Props = {
  definition: CohortDefinition;
  cohortId: number | null;
  canIdentified: boolean;
  /** The cohort has no episode: nothing to export. */
  empty?: boolean;
};
type Progress = { state: 'idle' } | { state: 'streaming'; bytes: number; seconds: number; episodes: string } | { state: 'done'; bytes: number; seconds: number; file: string } | { state: 'failed'; message: string };

/**
 * Export of the cohort: one zip with the data, its dictionary and the
 * definition. The server checks access and audits when the link is made; the
 * bytes then stream, and the page shows how much has arrived.
 */
export function ExportCard({ definition, cohortId, canIdentified, empty = false }: Props) {
  const trpc = useTRPC();
  const [shape, setShape] = useState<'wide' | 'long'>('wide');
  const [format, setFormat] = useState<'csv' | 'json' | 'parquet'>('csv');
  const [identified, setIdentified] = useState(false);
  const [progress, setProgress] = useState<Progress>({ state: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const deid = useMutation(trpc.cohorts.export.mutationOptions());
  const ident = useMutation(trpc.cohorts.exportIdentified.mutationOptions());
  const error = deid.error ?? ident.error;

  const start = async () => {
    const input = { definition, cohortId, shape, format };
    const link = identified ? await ident.mutateAsync(input) : await deid.mutateAsync(input);
    const ctrl = new AbortController();
    abort.current = ctrl;
    const t0 = performance.now();
    setProgress({ state: 'streaming', bytes: 0, seconds: 0, episodes: countText(link.episodes) });
    try {
      const res = await fetch(link.url, { signal: ctrl.signal, credentials: 'same-origin' });
      if (!res.ok || !res.body) throw new Error(res.status === 404 ? 'The download link expired. Start the export again.' : `The server answered ${res.status}.`);
      const reader = res.body.getReader();
      const parts: Uint8Array[] = [];
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        bytes += value.byteLength;
        setProgress({ state: 'streaming', bytes, seconds: (performance.now() - t0) / 1000, episodes: countText(link.episodes) });
      }
      const file = fileNameOf(res.headers.get('content-disposition'), 'cohort-export.zip');
      downloadBlob(new Blob(parts as BlobPart[], { type: 'application/zip' }), file);
      setProgress({ state: 'done', bytes, seconds: (performance.now() - t0) / 1000, file });
    } catch (err) {
      setProgress(ctrl.signal.aborted ? { state: 'idle' } : { state: 'failed', message: err instanceof Error ? err.message : 'The download failed.' });
    } finally {
      abort.current = null;
    }
  };

  const busy = progress.state === 'streaming' || deid.isPending || ident.isPending;
  return (
    <Card
      title="Export"
      subtitle="One zip: the data, a data dictionary (every column's type, unit, code system and definition) and this cohort's definition."
      actions={
        <Definition of="the de-identification">
          De-identified by HIPAA Safe Harbor: random study ids, new in every export; days relative to the index date plus the index year instead of dates; ages over 89
          as 90; the first three ZIP digits, 000 where the area is small; no names, record numbers or free text. Every export is recorded in the audit log.
        </Definition>
      }
    >
      <div className="export-form">
        <fieldset>
          <legend>Rows</legend>
          <label>
            <input type="radio" name="shape" checked={shape === 'wide'} onChange={() => setShape('wide')} /> One row per episode (wide: baseline and each follow-up window)
          </label>
          <label>
            <input type="radio" name="shape" checked={shape === 'long'} onChange={() => setShape('long')} /> One row per observation (long)
          </label>
        </fieldset>
        <fieldset>
          <legend>Format</legend>
          {(['csv', 'json', 'parquet'] as const).map((f) => (
            <label key={f}>
              <input type="radio" name="format" checked={format === f} onChange={() => setFormat(f)} /> {f === 'csv' ? 'CSV' : f === 'json' ? 'JSON' : 'Parquet (R arrow, pandas)'}
            </label>
          ))}
        </fieldset>
        {canIdentified ? (
          <label className="export-form__identified">
            <input type="checkbox" checked={identified} onChange={(e) => setIdentified(e.target.checked)} /> Identified (limited data set: dates, birth dates, 5-digit ZIP), under your data-use agreement
          </label>
        ) : null}
        <div className="export-form__actions">
          <button type="button" className="button" disabled={busy || empty} title={empty ? 'The cohort has no episodes' : undefined} onClick={() => void start()}>
            {busy ? 'Exporting…' : 'Download export'}
          </button>
          {progress.state === 'streaming' ? (
            <button type="button" className="button button--quiet" onClick={() => abort.current?.abort()}>
              Cancel
            </button>
          ) : null}
        </div>
        <div className="export-progress" role="status" aria-live="polite" data-testid="export-progress">
          {progress.state === 'streaming' ? (
            <>
              <progress aria-label="Export progress" />
              <span>
                Exporting {progress.episodes} episodes: {progressText(progress.bytes, progress.seconds)}
              </span>
            </>
          ) : progress.state === 'done' ? (
            <span>
              Downloaded {progress.file}: {progressText(progress.bytes, progress.seconds)} in {progress.seconds.toFixed(1)} s.
            </span>
          ) : progress.state === 'failed' ? (
            <span className="export-progress__error">{progress.message}</span>
          ) : null}
        </div>
        {error ? <ErrorState inline title="Could not start the export" error={error} /> : null}
      </div>
    </Card>
  );
}
