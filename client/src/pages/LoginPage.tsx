import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { LoadingState } from '../components/ui/LoadingState.tsx';
import { safeNext } from '../data/access.ts';
import { useMe } from '../hooks/useSession.ts';
import { PRODUCT_NAME } from '../sections.ts';
import { useTRPC } from '../trpc.ts';

/**
 * Sign-in. The server answers the same message for a wrong password, an
 * unknown or a disabled user, and refuses for a while after repeated
 * failures; this page shows what it says.
 */
export function LoginPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const me = useMe();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const errorId = useId();

  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async (user) => {
        // Nothing cached before signing in belongs to this user.
        queryClient.clear();
        queryClient.setQueryData(trpc.auth.me.queryKey(), user);
        await navigate(next, { replace: true });
      },
      onError: () => setPassword(''),
    }),
  );

  if (me.isPending) return <LoadingState label="Checking your session" />;
  if (me.data && !login.isPending && !login.isSuccess) return <Navigate replace to={next} />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ username, password });
  };
  const message = login.error ? signInMessage(login.error) : null;

  return (
    <main className="signin" id="main">
      <title>{`Sign in · ${PRODUCT_NAME}`}</title>
      <form className="signin__card card" onSubmit={submit} aria-describedby={message ? errorId : undefined} noValidate>
        <h1 className="signin__title">{PRODUCT_NAME}</h1>
        <p className="signin__subtitle">Sign in with the account your practice's administrator gave you.</p>
        {message ? (
          <p className="form-error" role="alert" id={errorId}>
            {message}
          </p>
        ) : null}
        {params.get('ended') ? <p className="form-note">Your session ended. Sign in again to continue.</p> : null}
        {params.get('changed') ? <p className="form-note">Your password was changed. Sign in with the new one.</p> : null}
        <label className="field">
          <span className="field__label">Username</span>
          <input
            className="field__input"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="field">
          <span className="field__label">Password</span>
          <input
            className="field__input"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="button button--primary" disabled={login.isPending || !username || !password}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="form-note">
          Sessions end after 30 minutes without activity and 12 hours after signing in. Access is recorded in an audit log.
        </p>
      </form>
    </main>
  );
}

function signInMessage(error: unknown): string {
  const e = error as { message?: unknown; data?: { code?: unknown } | null };
  const code = e.data?.code;
  if (code === 'UNAUTHORIZED' || code === 'TOO_MANY_REQUESTS') return String(e.message);
  if (code === undefined) return 'The server could not be reached. Check that it is running and try again.';
  return 'Signing in did not work. Try again.';
}
