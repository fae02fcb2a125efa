import type { ReactNode } from 'react';
import { Link, NavLink, Outlet, useNavigation } from 'react-router';
import { useCarriedFilters } from '../../hooks/useCarriedFilters.ts';
import { PRODUCT_NAME, SECTIONS } from '../../sections.ts';

/**
 * The frame of every page: the product name, the sections, a place for the
 * signed-in user on the right (filled by the sign-in work), and the page.
 */
export function AppShell({ children }: { children?: ReactNode }) {
  const carried = useCarriedFilters();
  const navigation = useNavigation();
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
              {SECTIONS.map((s) => (
                <li key={s.path}>
                  <NavLink to={s.analytic ? `${s.path}${carried}` : s.path} className="shell__link">
                    {s.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <div className="shell__user" data-slot="user-menu" />
        </div>
        <div className={navigation.state === 'idle' ? 'shell__progress' : 'shell__progress is-active'} aria-hidden="true" />
      </header>
      <main id="main" className="shell__main" tabIndex={-1}>
        {children ?? <Outlet />}
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
