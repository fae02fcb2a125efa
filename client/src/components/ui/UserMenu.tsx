import { useEffect, useId, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { isAdmin, ROLE_LABELS } from '../../data/access.ts';
import { useSignOut, type Me } from '../../hooks/useSession.ts';

/** Who is signed in, in what role; the admin pages; signing out. */
export function UserMenu({ me }: { me: Me }) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const signOut = useSignOut();
  const location = useLocation();

  // Close on navigation, on a click elsewhere, and on Escape.
  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const onClick = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onClick);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onClick);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const name = me.displayName ?? me.username;
  return (
    <div className="user-menu" ref={root}>
      <button
        type="button"
        className="user-menu__trigger"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label={`Account: ${name}, ${ROLE_LABELS[me.role]}`}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="user-menu__name">{name}</span>
        <span className="user-menu__role">{ROLE_LABELS[me.role]}</span>
      </button>
      <div className="user-menu__panel" id={menuId} hidden={!open}>
        <p className="user-menu__who">
          Signed in as <strong>{me.username}</strong>
          {me.providerName ? <> · provider {me.providerName}</> : null}
          {me.role === 'researcher' ? <> · {me.dataUseAgreement ? 'data-use agreement on record' : 'no data-use agreement on record'}</> : null}
        </p>
        <nav aria-label="Account">
          <ul className="user-menu__links">
            {isAdmin(me.role) ? (
              <>
                <li>
                  <Link to="/admin/users">Users</Link>
                </li>
                <li>
                  <Link to="/admin/audit">Audit log</Link>
                </li>
              </>
            ) : null}
            <li>
              <Link to="/account">Your account and password</Link>
            </li>
            <li>
              <button type="button" className="link-button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
                {signOut.isPending ? 'Signing out…' : 'Sign out'}
              </button>
            </li>
          </ul>
        </nav>
      </div>
    </div>
  );
}
