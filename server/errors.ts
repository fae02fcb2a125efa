import { TRPCError } from '@trpc/server';

/**
 * Domain errors thrown by services. Their messages are written for the user
 * and never carry PHI values; `toTRPCError` is the one place they become
 * transport errors. Anything else becomes a bare INTERNAL_SERVER_ERROR.
 */
export class DomainError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST' | 'CONFLICT' | 'FORBIDDEN' | 'PAYLOAD_TOO_LARGE' | 'TOO_MANY_REQUESTS' | 'UNAUTHORIZED',
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
export const badRequest = (message: string) => new DomainError('BAD_REQUEST', message);

export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  if (err instanceof DomainError) return new TRPCError({ code: err.code, message: err.message, cause: err });
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal error', cause: err });
}
