import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import type { RouterOutputs } from '../../../server/routers/_app.ts';
import { useTRPC } from '../trpc.ts';

export type Me = NonNullable<RouterOutputs['auth']['me']>;

/** The signed-in user (null when signed out). Fetched once; refreshed when a request is refused for want of a session. */
export function useMe() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.auth.me.queryOptions(), staleTime: 5 * 60_000, placeholderData: undefined });
}

/** Signs out on the server, forgets every cached answer (they may hold patient data), and shows the sign-in page. */
export function useSignOut() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: async () => {
        queryClient.clear();
        queryClient.setQueryData(trpc.auth.me.queryKey(), null);
        await navigate('/login', { replace: true });
      },
    }),
  );
}

/** The signed-in user, inside pages of the shell (which renders them for a signed-in user only). */
export function useSignedInUser(): Me {
  const me = useMe();
  if (!me.data) throw new Error('useSignedInUser is for pages inside the signed-in shell');
  return me.data;
}
