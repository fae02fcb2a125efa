import { isRouteErrorResponse, useRouteError } from 'react-router';
import { ErrorState } from '../components/ui/ErrorState.tsx';
import { PageHeader } from '../components/ui/PageHeader.tsx';

/**
 * What a page that failed to render or load shows, inside the shell so the
 * navigation still works. The error's details go to the console for support,
 * never onto the screen.
 */
export function RouteError() {
  const error = useRouteError();
  const chunkMissing = error instanceof TypeError && /dynamically imported module|Importing a module script failed/i.test(error.message);
  if (!isRouteErrorResponse(error)) console.error(error);
  return (
    <>
      <PageHeader title="Something went wrong" />
      <ErrorState
        title={chunkMissing ? 'This page could not be loaded: the product may have been updated.' : 'This page could not be shown.'}
        onRetry={() => window.location.reload()}
      />
    </>
  );
}
