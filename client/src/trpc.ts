import { keepPreviousData, QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '../../server/routers/_app.ts';
import { isRetryable } from './data/errors.ts';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export function makeQueryClient(): QueryClient {
  return new QueryClient({
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
}

export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: '/trpc', maxItems: 10 })] });
}
