import { createBrowserRouter, Navigate, useLocation, type RouteObject } from 'react-router';
import { AppShell } from './components/ui/AppShell.tsx';
import { LoadingState } from './components/ui/LoadingState.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { RouteError } from './pages/RouteError.tsx';

/**
 * Pages load on first visit (their charts are the heavy part of the bundle);
 * the shell shows a progress bar in the meantime.
 */
export const routes: RouteObject[] = [
  // Outside the shell: the only page a signed-out visitor sees.
  { path: '/login', element: <LoginPage />, errorElement: <RouteError /> },
  {
    path: '/',
    element: <AppShell />,
    hydrateFallbackElement: (
      <AppShell>
        <LoadingState label="Loading the page" />
      </AppShell>
    ),
    children: [
      {
        errorElement: <RouteError />,
        children: [
          // Keep the query string: a shared link to "/?carePath=…" lands on Outcomes with its filters.
          { index: true, element: <RedirectHome /> },
          { path: 'outcomes', lazy: async () => ({ Component: (await import('./pages/OutcomesPage.tsx')).OutcomesPage }) },
          { path: 'compare', lazy: async () => ({ Component: (await import('./pages/ComparePage.tsx')).ComparePage }) },
          { path: 'operations', lazy: async () => ({ Component: (await import('./pages/OperationsPage.tsx')).OperationsPage }) },
          { path: 'cohorts', lazy: async () => ({ Component: (await import('./pages/CohortsPage.tsx')).CohortsPage }) },
          { path: 'data', lazy: async () => ({ Component: (await import('./pages/DataPage.tsx')).DataPage }) },
          { path: 'account', lazy: async () => ({ Component: (await import('./pages/account/AccountPage.tsx')).AccountPage }) },
          { path: 'admin/users', lazy: async () => ({ Component: (await import('./pages/admin/UsersPage.tsx')).UsersPage }) },
          { path: 'admin/audit', lazy: async () => ({ Component: (await import('./pages/admin/AuditPage.tsx')).AuditPage }) },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];

function RedirectHome() {
  const { search } = useLocation();
  return <Navigate replace to={{ pathname: '/outcomes', search }} />;
}

export function makeRouter() {
  return createBrowserRouter(routes);
}
