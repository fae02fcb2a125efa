import { QueryClientProvider, useQuery } from '@tanstack/react-query';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { TRPCProvider, makeQueryClient, makeTrpcClient, useTRPC } from './trpc.ts';

function Summary() {
  const trpc = useTRPC();
  const summary = useQuery(trpc.records.summary.queryOptions());
  if (summary.isPending) return <p>Loading…</p>;
  if (summary.isError) return <p role="alert">Could not load the practice summary.</p>;
  return <p>{summary.data.episodes.toLocaleString('en-US')} episodes of care</p>;
}

function App() {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <h1>Pain care outcomes</h1>
        <Summary />
      </TRPCProvider>
    </QueryClientProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
