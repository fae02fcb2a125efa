import { keepPreviousData, MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '../../server/routers/_app.ts';
import { isRetryable } from './data/errors.ts';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** The auth.me query's key prefix (tRPC's key shape: path segments, then input and type). */
export const ME_KEY = [['auth', 'me']] as const;

function isUnauthorized(error: unknown): boolean {
  return (error as { data?: { code?: unknown } | null } | null)?.data?.code === 'UNAUTHORIZED';
}

export function makeQueryClient(): QueryClient {
  // A request refused for want of a session (it expired, or was ended elsewhere):
  // ask who we are again, and the shell sends a signed-out user to the sign-in page.
  const onError = (error: unknown) => {
    if (isUnauthorized(error)) void client.invalidateQueries({ queryKey: ME_KEY });
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        // While filters change, keep showing the last answer (marked as updating)
        // instead of flashing back to a skeleton: charts and tiles stay put.
        // A query whose previous answer must never stand in for the next one
        // (one patient's timeline for another's) sets `placeholderData: undefined`.
        placeholderData: keepPreviousData,
        // One quick retry for a dropped connection or a server hiccup; none for a
        // refusal (4xx), which would only be refused again.
        retry: (failureCount, error) => failureCount < 1 && isRetryable(error),
        retryDelay: 500,
      },
    },
  });
  return client;
}

export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: '/trpc', maxItems: 10 })] });
}
