import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { Card } from '../../components/ui/Card.tsx';
import { PageHeader } from '../../components/ui/PageHeader.tsx';
import { PASSWORD_MIN_LENGTH } from '../../../../server/auth/password-rules.ts';
import { ROLE_LABELS } from '../../data/access.ts';
import { passwordFormProblem } from '../../data/account.ts';
import { useMe } from '../../hooks/useSession.ts';
import { useTRPC } from '../../trpc.ts';

/**
 * The signed-in user's own account: who they are and a password change. The
 * server checks the current password, the length and the common-password
 * list, ends every session of the user, and records the change in the audit
 * log; this page then sends them to sign in again with the new password.
 */
export function AccountPage() {
  // Not useSignedInUser: right after a change the session is gone and this page renders once more before leaving.
  const me = useMe().data;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [formProblem, setFormProblem] = useState<string | null>(null);
  const errorId = useId();
  const hintId = useId();

  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: async () => {
        queryClient.clear();
        queryClient.setQueryData(trpc.auth.me.queryKey(), null);
        await navigate('/login?changed=1', { replace: true });
      },
      onError: () => setCurrent(''),
    }),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = passwordFormProblem(current, next, confirm);
    setFormProblem(problem);
    if (!problem) change.mutate({ currentPassword: current, newPassword: next });
  };
  const message = formProblem ?? (change.error ? change.error.message : null);
  if (!me) return null;

  return (
    <>
      <title>Your account</title>
      <PageHeader title="Your account" summary="Who you are signed in as, and your password." />
      <div className="account">
        <Card title="Signed in as">
          <dl className="account__facts">
            <dt>Username</dt>
            <dd>{me.username}</dd>
            <dt>Role</dt>
            <dd>{ROLE_LABELS[me.role]}</dd>
            {me.providerName ? (
              <>
                <dt>Provider</dt>
                <dd>{me.providerName}</dd>
              </>
            ) : null}
          </dl>
        </Card>
        <Card
          title="Change your password"
          footnote="Changing it signs you out everywhere; sign in again with the new password. The change is recorded in the audit log."
        >
          <form className="account__form" onSubmit={submit} aria-describedby={message ? errorId : undefined} noValidate>
            {message ? (
              <p className="form-error" role="alert" id={errorId}>
                {message}
              </p>
            ) : null}
            <label className="field">
              <span className="field__label">Current password</span>
              <input
                className="field__input"
                type="password"
                autoComplete="current-password"
                required
                value={current}
                onChange={(e) => setCurrent(e.target.value)}
              />
            </label>
            <label className="field">
              <span className="field__label">New password</span>
              <input
                className="field__input"
                type="password"
                autoComplete="new-password"
                required
                value={next}
                aria-describedby={hintId}
                onChange={(e) => setNext(e.target.value)}
              />
            </label>
            <p className="field__hint" id={hintId}>
              At least {PASSWORD_MIN_LENGTH} characters; a long phrase is easier to remember than symbols. Common passwords are refused.
            </p>
            <label className="field">
              <span className="field__label">New password again</span>
              <input
                className="field__input"
                type="password"
                autoComplete="new-password"
                required
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
              />
            </label>
            <button type="submit" className="button button--primary" disabled={change.isPending || !current || !next || !confirm}>
              {change.isPending ? 'Changing…' : 'Change password'}
            </button>
          </form>
        </Card>
      </div>
    </>
  );
}
