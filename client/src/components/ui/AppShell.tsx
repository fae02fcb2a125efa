import type { ReactNode } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigation } from 'react-router';
import { isAdmin, ROLE_ORDER, sectionVisible } from '../../data/access.ts';
import { useCarriedFilters } from '../../hooks/useCarriedFilters.ts';
import type { Me } from '../../hooks/useSession.ts';
import { PRODUCT_NAME, SECTIONS, sectionOf } from '../../sections.ts';
import { RequireRole, RequireSession } from './RequireSession.tsx';
import { UserMenu } from './UserMenu.tsx';

/** The admin pages, in the navigation for admins only. */
const ADMIN_LINKS = [
  { path: '/admin/users', label: 'Users' },
  { path: '/admin/audit', label: 'Audit log' },
] as const;

/**
 * The frame of every page: the product name, the sections the signed-in
 * user's role may use, the user menu on the right, and the page. Signed-out
 * visitors are sent to the sign-in page.
 */
export function AppShell({ children }: { children?: ReactNode }) {
  return (
    <RequireSession>
      {(me) => <Frame me={me}>{children ?? <Outlet />}</Frame>}
    </RequireSession>
  );
}

function Frame({ me, children }: { me: Me; children: ReactNode }) {
  const carried = useCarriedFilters();
  const navigation = useNavigation();
  // A section the role does not use is refused here too, not only left out of the navigation.
  const section = sectionOf(useLocation().pathname);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="shell__header">
        <div className="shell__bar">
          <Link to={`/outcomes${carried}`} className="brand" aria-label={`${PRODUCT_NAME}, home`}>
            <BrandMark />
            <span className="brand__name">{PRODUCT_NAME}</span>
          </Link>
          <nav className="shell__nav" aria-label="Sections">
            <ul>
              {SECTIONS.filter((s) => sectionVisible(s.path, me.role)).map((s) => (
                <li key={s.path}>
                  <NavLink to={s.analytic ? `${s.path}${carried}` : s.path} className="shell__link">
                    {s.label}
                  </NavLink>
                </li>
              ))}
              {isAdmin(me.role)
                ? ADMIN_LINKS.map((l) => (
                    <li key={l.path} className="shell__admin">
                      <NavLink to={l.path} className="shell__link">
                        {l.label}
                      </NavLink>
                    </li>
                  ))
                : null}
            </ul>
          </nav>
          <div className="shell__user">
            <UserMenu me={me} />
          </div>
        </div>
        <div className={navigation.state === 'idle' ? 'shell__progress' : 'shell__progress is-active'} aria-hidden="true" />
      </header>
      <main id="main" className="shell__main" tabIndex={-1}>
        {section && !sectionVisible(section.path, me.role) ? (
          <RequireRole me={me} roles={ROLE_ORDER.filter((r) => sectionVisible(section.path, r))} title={section.label}>
            {null}
          </RequireRole>
        ) : (
          children
        )}
      </main>
    </div>
  );
}

/** A falling score line: what the product follows, patient by patient. */
function BrandMark() {
  return (
    <svg className="brand__mark" viewBox="0 0 28 28" width="28" height="28" aria-hidden="true" focusable="false">
      <rect width="28" height="28" rx="6" fill="currentColor" />
      <path d="M6 9 L11.5 12.5 L16.5 17.5 L22 19" fill="none" stroke="#fff" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" />
      <circle cx="6" cy="9" r="2" fill="#fff" />
      <circle cx="22" cy="19" r="2" fill="#fff" />
    </svg>
  );
}
