import { useRef, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import type { Role } from '../../../../db/schema/auth.ts';
import { ROLE_LABELS } from '../../data/access.ts';
import { useMe, type Me } from '../../hooks/useSession.ts';
import { EmptyState } from './EmptyState.tsx';
import { ErrorState } from './ErrorState.tsx';
import { LoadingState } from './LoadingState.tsx';
import { PageHeader } from './PageHeader.tsx';

/**
 * Renders its children for a signed-in user only; otherwise sends the browser
 * to the sign-in page, with the address to come back to. A session that ends
 * while the page is open (idle, 12 hours, signed out elsewhere) lands there
 * too, with a note saying so.
 */
export function RequireSession({ children }: { children: (me: Me) => ReactNode }) {
  const me = useMe();
  const location = useLocation();
  const hadUser = useRef(false);
  if (me.isPending) return <LoadingState label="Checking your session" />;
  if (me.data === undefined) {
    return <ErrorState title="Could not check your session" error={me.error} onRetry={() => void me.refetch()} retrying={me.isFetching} />;
  }
  if (me.data === null) {
    const next = `${location.pathname}${location.search}`;
    const ended = hadUser.current ? '&ended=1' : '';
    return <Navigate replace to={`/login?next=${encodeURIComponent(next)}${ended}`} />;
  }
  hadUser.current = true;
  return <>{children(me.data)}</>;
}

/** A page for some roles only: others are told so (the server refuses their requests anyway). */
export function RequireRole({ me, roles, title, children }: { me: Me; roles: readonly Role[]; title: string; children: ReactNode }) {
  if (roles.includes(me.role)) return <>{children}</>;
  return (
    <>
      <PageHeader title={title} />
      <EmptyState title="Not available for your role">
        <p>
          This page is for {roles.map((r) => ROLE_LABELS[r].toLowerCase()).join(' and ')}s. You are signed in as{' '}
          {ROLE_LABELS[me.role].toLowerCase()}.
        </p>
      </EmptyState>
    </>
  );
}
