import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Card } from '../../components/ui/Card.tsx';
import { EmptyState } from '../../components/ui/EmptyState.tsx';
import { LoadingState } from '../../components/ui/LoadingState.tsx';
import { PageHeader } from '../../components/ui/PageHeader.tsx';
import { QueryState } from '../../components/ui/QueryState.tsx';
import { RequireRole } from '../../components/ui/RequireSession.tsx';
import { ROLE_LABELS } from '../../data/access.ts';
import { auditFilterInput, describeAction, formatDetail, formatUtc, type AuditFilterForm } from '../../data/audit.ts';
import { formatCount } from '../../data/format.ts';
import { useSignedInUser } from '../../hooks/useSession.ts';
import { useTRPC } from '../../trpc.ts';
import type { Role } from '../../../../db/schema/auth.ts';

const PAGE = 100;
const EMPTY_FILTER: AuditFilterForm = { username: '', action: '', outcome: '', from: '', to: '' };

/** Admins: search the audit log by user, action and time; check that it has not been tampered with. */
export function AuditPage() {
  const me = useSignedInUser();
  return (
    <RequireRole me={me} roles={['admin']} title="Audit log">
      <Audit />
    </RequireRole>
  );
}

function Audit() {
  const [draft, setDraft] = useState<AuditFilterForm>(EMPTY_FILTER);
  const [filter, setFilter] = useState<AuditFilterForm>(EMPTY_FILTER);
  // Each "show older" adds a page starting below the last id shown.
  const [cursors, setCursors] = useState<Array<number | undefined>>([undefined]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter(draft);
    setCursors([undefined]);
  };
  const set = (k: keyof AuditFilterForm, v: string) => setDraft((d) => ({ ...d, [k]: v }));
  return (
    <>
      <PageHeader
        title="Audit log"
        summary="Every sign-in and failed sign-in, sign-out, read of patient records, import, export and change of a user: who, what, when (UTC), from where, and the outcome."
      />
      <ChainStatus />
      <Card title="Search" subtitle="Newest first. Reading the log is itself recorded.">
        <form className="form-grid form-grid--filters" onSubmit={submit} aria-label="Search the audit log">
          <label className="field">
            <span className="field__label">User</span>
            <input className="field__input" value={draft.username} placeholder="username" onChange={(e) => set('username', e.target.value)} />
          </label>
          <ActionSelect value={draft.action} onChange={(v) => set('action', v)} />
          <label className="field">
            <span className="field__label">Outcome</span>
            <select className="field__input" value={draft.outcome} onChange={(e) => set('outcome', e.target.value)}>
              <option value="">Any</option>
              <option value="success">Success</option>
              <option value="failure">Failure</option>
              <option value="denied">Denied</option>
            </select>
          </label>
          <label className="field">
            <span className="field__label">From (your local time)</span>
            <input className="field__input" type="datetime-local" value={draft.from} onChange={(e) => set('from', e.target.value)} />
          </label>
          <label className="field">
            <span className="field__label">To (your local time)</span>
            <input className="field__input" type="datetime-local" value={draft.to} onChange={(e) => set('to', e.target.value)} />
          </label>
          <div className="form-actions">
            <button type="submit" className="button button--primary">
              Search
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                setDraft(EMPTY_FILTER);
                setFilter(EMPTY_FILTER);
                setCursors([undefined]);
              }}
            >
              Clear
            </button>
          </div>
        </form>
        <div className="table-wrap">
          <table className="table table--dense">
            <caption className="visually-hidden">Audit log entries</caption>
            <thead>
              <tr>
                <th scope="col">When (UTC)</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">From</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            {cursors.map((beforeId, i) => (
              <AuditRows
                key={`${i}-${beforeId ?? 'top'}`}
                filter={filter}
                beforeId={beforeId}
                first={i === 0}
                onOlder={i === cursors.length - 1 ? (next) => setCursors((c) => [...c, next]) : undefined}
              />
            ))}
          </table>
        </div>
      </Card>
    </>
  );
}

function ActionSelect({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const trpc = useTRPC();
  const actions = useQuery(trpc.audit.actions.queryOptions());
  const families = [...new Set((actions.data ?? []).map((a) => a.split('.')[0]!))];
  return (
    <label className="field">
      <span className="field__label">Action</span>
      <select className="field__input" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Any</option>
        {families.map((f) => (
          <optgroup key={f} label={f}>
            <option value={f}>{`All ${f}`}</option>
            {(actions.data ?? [])
              .filter((a) => a.startsWith(`${f}.`))
              .map((a) => (
                <option key={a} value={a}>
                  {describeAction(a)}
                </option>
              ))}
          </optgroup>
        ))}
      </select>
    </label>
  );
}

function AuditRows({
  filter,
  beforeId,
  first,
  onOlder,
}: {
  filter: AuditFilterForm;
  beforeId: number | undefined;
  first: boolean;
  onOlder?: (beforeId: number) => void;
}) {
  const trpc = useTRPC();
  const rows = useQuery({ ...trpc.audit.search.queryOptions({ ...auditFilterInput(filter), beforeId, limit: PAGE }), placeholderData: undefined });
  if (rows.isPending) {
    return (
      <tbody>
        <tr>
          <td colSpan={7}>
            <LoadingState variant="table" count={4} label="Loading audit entries" />
          </td>
        </tr>
      </tbody>
    );
  }
  if (rows.data === undefined) {
    return (
      <tbody>
        <tr>
          <td colSpan={7}>
            <QueryState query={rows} errorTitle="Could not search the audit log">
              {() => null}
            </QueryState>
          </td>
        </tr>
      </tbody>
    );
  }
  const { rows: entries, nextBeforeId } = rows.data;
  return (
    <tbody>
      {first && entries.length === 0 ? (
        <tr>
          <td colSpan={7}>
            <EmptyState title="No entries match this search." />
          </td>
        </tr>
      ) : null}
      {entries.map((r) => (
        <tr key={r.id} className={r.outcome === 'success' ? undefined : `is-${r.outcome}`}>
          <td className="nowrap">
            <time dateTime={r.at}>{formatUtc(r.at)}</time>
          </td>
          <td>
            {r.username ?? <span className="muted">unknown</span>}
            {r.role ? <div className="table__sub">{ROLE_LABELS[r.role as Role] ?? r.role}</div> : null}
          </td>
          <td>{describeAction(r.action)}</td>
          <td className="mono">{r.target ?? ''}</td>
          <td>
            <span className={`badge badge--${r.outcome}`}>{r.outcome}</span>
          </td>
          <td className="mono">{r.ip ?? ''}</td>
          <td className="table__detail">{formatDetail(r.detail)}</td>
        </tr>
      ))}
      {onOlder && nextBeforeId !== null ? (
        <tr>
          <td colSpan={7} className="table__more">
            <button type="button" className="button button--small" onClick={() => onOlder(nextBeforeId)}>
              Show older entries
            </button>
          </td>
        </tr>
      ) : null}
    </tbody>
  );
}

function ChainStatus() {
  const trpc = useTRPC();
  const verify = useQuery({ ...trpc.audit.verify.queryOptions(), staleTime: 0 });
  return (
    <Card
      title="Integrity"
      subtitle="Each entry is sealed with a keyed hash of itself and the entry before; editing, removing or inserting an entry breaks the chain."
      footnote={
        <>
          The same check runs from the server's command line with <code>npm run audit:verify</code>.
        </>
      }
    >
      <QueryState query={verify} errorTitle="Could not check the audit log" loading={<LoadingState label="Checking the audit log" />}>
        {(v) =>
          v.ok ? (
            <p className="chain chain--ok" role="status">
              Intact: {formatCount(v.rows)} entries, every one matching its seal.
            </p>
          ) : (
            <div className="chain chain--broken" role="alert">
              <p>
                <strong>The audit log has been tampered with</strong> ({formatCount(v.problems.length)} problem
                {v.problems.length === 1 ? '' : 's'} in {formatCount(v.rows)} entries):
              </p>
              <ul>
                {v.problems.map((p, i) => (
                  <li key={i}>
                    {p.id === null ? 'The log' : `Entry ${p.id}`}: {p.problem}
                  </li>
                ))}
              </ul>
            </div>
          )
        }
      </QueryState>
    </Card>
  );
}
