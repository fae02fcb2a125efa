import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorState } from './ErrorState.tsx';
import { LoadingState } from './LoadingState.tsx';

type QueryStateProps<T, E> = {
  query: UseQueryResult<T, E>;
  /** What failed, in the user's words ("Could not load the outcomes"). */
  errorTitle: string;
  loading?: ReactNode;
  /** When the answer has nothing to show. */
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
};

/**
 * The four states of a figure, the same on every page: a skeleton while the
 * first answer loads; an error with a retry; an empty state; the content. While
 * inputs change, the previous answer stays on screen, dimmed and marked busy,
 * until the new one arrives (the query client keeps previous data by default);
 * if that refresh fails, the error shows above the previous answer.
 */
export function QueryState<T, E>({ query, errorTitle, loading, isEmpty, empty, children }: QueryStateProps<T, E>) {
  if (query.isPending) return <>{loading ?? <LoadingState />}</>;
  if (query.data === undefined) {
    return <ErrorState title={errorTitle} error={query.error} onRetry={() => void query.refetch()} retrying={query.isFetching} />;
  }
  const data = query.data;
  const updating = query.isPlaceholderData;
  return (
    <div className={updating ? 'query-content is-updating' : 'query-content'} aria-busy={query.isFetching}>
      {query.isError ? (
        <ErrorState inline title={`${errorTitle}; showing the previous figures`} error={query.error} onRetry={() => void query.refetch()} retrying={query.isFetching} />
      ) : null}
      {isEmpty?.(data) ? empty : children(data)}
    </div>
  );
}
