import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Role } from '../../../../db/schema/auth.ts';
import { Card } from '../../components/ui/Card.tsx';
import { LoadingState } from '../../components/ui/LoadingState.tsx';
import { PageHeader } from '../../components/ui/PageHeader.tsx';
import { QueryState } from '../../components/ui/QueryState.tsx';
import { RequireRole } from '../../components/ui/RequireSession.tsx';
import { ROLE_LABELS, ROLE_ORDER } from '../../data/access.ts';
import { describeError } from '../../data/errors.ts';
import { formatIsoDate } from '../../data/format.ts';
import { changesOf, draftOf, newUserOf, type UserDraft, type UserRow } from '../../data/users.ts';
import { useSignedInUser } from '../../hooks/useSession.ts';
import { useTRPC } from '../../trpc.ts';

type Provider = { id: number; key: string; name: string };

/** Admins: create users, change their role, link physicians to providers, record data-use agreements, disable, reset passwords. */
export function UsersPage() {
  const me = useSignedInUser();
  return (
    <RequireRole me={me} roles={['admin']} title="Users">
      <Users myId={me.id} />
    </RequireRole>
  );
}

function Users({ myId }: { myId: number }) {
  const trpc = useTRPC();
  const users = useQuery(trpc.users.list.queryOptions());
  const providers = useQuery(trpc.users.providers.queryOptions());
  const providerList = providers.data ?? [];
  return (
    <>
      <PageHeader title="Users" summary="Who can sign in, in which role. Every change is recorded in the audit log and ends the user's sessions." />
      <Card
        title="Users"
        subtitle="Physicians see their own patients; practice managers and researchers see aggregates with small counts withheld; administrators see everything."
        footnote="A researcher's identified (limited data set) export needs a data-use agreement on record. Users are disabled, never deleted: the audit log refers to them."
      >
        <QueryState query={users} errorTitle="Could not load the users" loading={<LoadingState variant="table" label="Loading the users" />}>
          {(rows) => <UserTable rows={rows} providers={providerList} myId={myId} />}
        </QueryState>
      </Card>
      <Card title="Add a user" subtitle="The password must have at least 8 characters, not be a common password, and not contain the username.">
        <NewUserForm providers={providerList} />
      </Card>
    </>
  );
}

function UserTable({ rows, providers, myId }: { rows: UserRow[]; providers: Provider[]; myId: number }) {
  const [editing, setEditing] = useState<number | null>(null);
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Users</caption>
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Role</th>
            <th scope="col">Provider</th>
            <th scope="col">Data-use agreement</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((u) => (
            <UserRows key={u.id} user={u} providers={providers} isMe={u.id === myId} editing={editing === u.id} onEdit={(on) => setEditing(on ? u.id : null)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function UserRows({
  user,
  providers,
  isMe,
  editing,
  onEdit,
}: {
  user: UserRow;
  providers: Provider[];
  isMe: boolean;
  editing: boolean;
  onEdit: (on: boolean) => void;
}) {
  return (
    <>
      <tr className={user.disabled ? 'is-disabled' : undefined}>
        <th scope="row">
          {user.username}
          {user.displayName ? <div className="table__sub">{user.displayName}</div> : null}
          {isMe ? <div className="table__sub">you</div> : null}
        </th>
        <td>{ROLE_LABELS[user.role]}</td>
        <td>{user.providerName ?? '—'}</td>
        <td>
          {user.duaReference ? (
            <>
              {user.duaReference}
              <div className="table__sub">{user.duaExpiresOn ? `until ${formatIsoDate(user.duaExpiresOn)}` : 'no expiry'}</div>
            </>
          ) : (
            '—'
          )}
        </td>
        <td>{user.disabled ? <span className="badge badge--off">Disabled</span> : <span className="badge">Active</span>}</td>
        <td className="table__actions">
          <button type="button" className="button button--small" aria-expanded={editing} onClick={() => onEdit(!editing)}>
            {editing ? 'Close' : 'Edit'}
            <span className="visually-hidden"> {user.username}</span>
          </button>
        </td>
      </tr>
      {editing ? (
        <tr className="table__editor">
          <td colSpan={6}>
            <EditUser user={user} providers={providers} isMe={isMe} onDone={() => onEdit(false)} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function EditUser({ user, providers, isMe, onDone }: { user: UserRow; providers: Provider[]; isMe: boolean; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<UserDraft>(() => draftOf(user));
  const [password, setPassword] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: async () => (await invalidate(), onDone()) }));
  const reset = useMutation(
    trpc.users.resetPassword.mutationOptions({
      onSuccess: () => {
        setPassword('');
        setNotice(`Password of ${user.username} changed; their sessions were ended.`);
      },
    }),
  );
  const changes = changesOf(user, draft);
  const set = <K extends keyof UserDraft>(k: K, v: UserDraft[K]) => setDraft((d) => ({ ...d, [k]: v }));

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (changes) update.mutate(changes);
  };
  return (
    <div className="editor">
      <form className="form-grid" onSubmit={save} aria-label={`Change ${user.username}`}>
        <RoleFields
          role={draft.role}
          providerId={draft.providerId}
          duaReference={draft.duaReference}
          duaExpiresOn={draft.duaExpiresOn}
          providers={providers}
          lockRole={isMe}
          onChange={(k, v) => set(k, v as never)}
        />
        <label className="field">
          <span className="field__label">Display name</span>
          <input className="field__input" value={draft.displayName} maxLength={100} onChange={(e) => set('displayName', e.target.value)} />
        </label>
        <label className="field field--check">
          <input type="checkbox" checked={draft.disabled} disabled={isMe} onChange={(e) => set('disabled', e.target.checked)} />
          <span>Disabled (cannot sign in)</span>
        </label>
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={!changes || update.isPending}>
            {update.isPending ? 'Saving…' : 'Save changes'}
          </button>
          <button type="button" className="button" onClick={onDone}>
            Cancel
          </button>
        </div>
        {update.error ? (
          <p className="form-error" role="alert">
            {describeError(update.error)}
          </p>
        ) : null}
      </form>
      <form
        className="form-grid form-grid--inline"
        aria-label={`Reset the password of ${user.username}`}
        onSubmit={(e) => {
          e.preventDefault();
          reset.mutate({ id: user.id, password });
        }}
      >
        <label className="field">
          <span className="field__label">New password</span>
          <input className="field__input" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <div className="form-actions">
          <button type="submit" className="button" disabled={!password || reset.isPending}>
            {reset.isPending ? 'Changing…' : 'Reset password'}
          </button>
        </div>
        {reset.error ? (
          <p className="form-error" role="alert">
            {describeError(reset.error)}
          </p>
        ) : null}
        {notice ? (
          <p className="form-note" role="status">
            {notice}
          </p>
        ) : null}
      </form>
    </div>
  );
}

type RoleFieldKey = 'role' | 'providerId' | 'duaReference' | 'duaExpiresOn';

/** Role, and what it implies: the provider of a physician, the data-use agreement of a researcher. */
function RoleFields({
  role,
  providerId,
  duaReference,
  duaExpiresOn,
  providers,
  lockRole = false,
  onChange,
}: {
  role: Role;
  providerId: string;
  duaReference: string;
  duaExpiresOn: string;
  providers: Provider[];
  lockRole?: boolean;
  onChange: (k: RoleFieldKey, v: string) => void;
}) {
  return (
    <>
      <label className="field">
        <span className="field__label">Role</span>
        <select className="field__input" value={role} disabled={lockRole} onChange={(e) => onChange('role', e.target.value)}>
          {ROLE_ORDER.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
      </label>
      {role === 'physician' ? (
        <label className="field">
          <span className="field__label">Provider (their patients)</span>
          <select className="field__input" value={providerId} required onChange={(e) => onChange('providerId', e.target.value)}>
            <option value="">Choose a provider…</option>
            {providers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.key})
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {role === 'researcher' ? (
        <>
          <label className="field">
            <span className="field__label">Data-use agreement reference (optional)</span>
            <input className="field__input" value={duaReference} maxLength={100} onChange={(e) => onChange('duaReference', e.target.value)} />
          </label>
          <label className="field">
            <span className="field__label">Agreement expires on</span>
            <input className="field__input" type="date" value={duaExpiresOn} disabled={!duaReference.trim()} onChange={(e) => onChange('duaExpiresOn', e.target.value)} />
          </label>
        </>
      ) : null}
    </>
  );
}

const EMPTY = { username: '', displayName: '', role: 'physician' as Role, providerId: '', password: '', duaReference: '', duaExpiresOn: '' };

function NewUserForm({ providers }: { providers: Provider[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(EMPTY);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async (u) => {
        setCreated(`Created ${ROLE_LABELS[u.role].toLowerCase()} ${u.username}.`);
        setForm(EMPTY);
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
      },
    }),
  );
  const set = (k: keyof typeof EMPTY, v: string) => setForm((f) => ({ ...f, [k]: v }));
  return (
    <form
      className="form-grid"
      aria-label="Add a user"
      onSubmit={(e) => {
        e.preventDefault();
        setCreated(null);
        create.mutate(newUserOf(form));
      }}
    >
      <label className="field">
        <span className="field__label">Username</span>
        <input
          className="field__input"
          value={form.username}
          required
          minLength={3}
          maxLength={64}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          onChange={(e) => set('username', e.target.value)}
        />
      </label>
      <label className="field">
        <span className="field__label">Display name (optional)</span>
        <input className="field__input" value={form.displayName} maxLength={100} onChange={(e) => set('displayName', e.target.value)} />
      </label>
      <RoleFields
        role={form.role}
        providerId={form.providerId}
        duaReference={form.duaReference}
        duaExpiresOn={form.duaExpiresOn}
        providers={providers}
        onChange={(k, v) => set(k, v)}
      />
      <label className="field">
        <span className="field__label">Password</span>
        <input
          className="field__input"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={form.password}
          onChange={(e) => set('password', e.target.value)}
        />
      </label>
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={create.isPending || !form.username || !form.password}>
          {create.isPending ? 'Creating…' : 'Create user'}
        </button>
      </div>
      {create.error ? (
        <p className="form-error" role="alert">
          {describeError(create.error)}
        </p>
      ) : null}
      {created ? (
        <p className="form-note" role="status">
          {created}
        </p>
      ) : null}
    </form>
  );
}
