import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatUtc } from '../../data/audit.ts';
import { STATUS_LABELS } from '../../data/imports.ts';
import { useTRPC } from '../../trpc.ts';
import { Card } from '../ui/Card.tsx';
import { EmptyState } from '../ui/EmptyState.tsx';
import { LoadingState } from '../ui/LoadingState.tsx';
import { QueryState } from '../ui/QueryState.tsx';
import { ImportReportView } from './ImportUpload.tsx';
import { RowCountCells, RowCountHeaders } from './RowCounts.tsx';

/** The latest imports with their counts; one opens to its full report. */
export function ImportHistory() {
  const trpc = useTRPC();
  const list = useQuery(trpc.imports.list.queryOptions({ limit: 20 }));
  const [open, setOpen] = useState<number | null>(null);
  return (
    <Card title="Recent imports" subtitle="The last 20 imports, newest first, from this page and from the server's command line.">
      <QueryState
        query={list}
        errorTitle="Could not load the imports"
        loading={<LoadingState variant="table" count={3} label="Loading the imports" />}
        isEmpty={(rows) => rows.length === 0}
        empty={<EmptyState title="No imports yet." />}
      >
        {(rows) => (
          <>
            <div className="table-wrap">
              <table className="table table--dense">
                <caption className="visually-hidden">Recent imports</caption>
                <thead>
                  <tr>
                    <th scope="col">Import</th>
                    <th scope="col">Started (UTC)</th>
                    <th scope="col">Status</th>
                    <RowCountHeaders />
                    <th scope="col">
                      <span className="visually-hidden">Report</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.id}>
                      <th scope="row">{r.id}</th>
                      <td className="nowrap">{formatUtc(r.startedAt)}</td>
                      <td>{STATUS_LABELS[r.status]}</td>
                      <RowCountCells counts={{ inserted: r.rowsInserted, updated: r.rowsUpdated, unchanged: r.rowsUnchanged, rejected: r.rowsRejected }} />
                      <td className="table__actions">
                        <button type="button" className="button button--small" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
                          {open === r.id ? 'Hide report' : 'Report'}
                          <span className="visually-hidden"> of import {r.id}</span>
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {open !== null ? <StoredReport id={open} /> : null}
          </>
        )}
      </QueryState>
    </Card>
  );
}

function StoredReport({ id }: { id: number }) {
  const trpc = useTRPC();
  const one = useQuery({ ...trpc.imports.byId.queryOptions({ id }), placeholderData: undefined });
  return (
    <QueryState query={one} errorTitle="Could not load the report" loading={<LoadingState label="Loading the report" />}>
      {(row) => (row.report ? <ImportReportView report={row.report} /> : <p className="muted">This import has no report (it is still running or was interrupted).</p>)}
    </QueryState>
  );
}
