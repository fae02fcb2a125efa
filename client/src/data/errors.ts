/**
 * What to tell the user when a request fails. The server only sends messages
 * it wrote (internal errors arrive as "Internal error"), so a client-error
 * message is safe and useful to show; anything else gets a plain sentence.
 */
export function describeError(error: unknown): string {
  if (error === null || typeof error !== 'object') return 'Something went wrong.';
  const e = error as { message?: unknown; data?: { code?: unknown; httpStatus?: unknown; zodIssues?: unknown } | null };
  const status = typeof e.data?.httpStatus === 'number' ? e.data.httpStatus : undefined;
  const code = typeof e.data?.code === 'string' ? e.data.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';

  if (status === undefined && code === undefined) {
    // No tRPC envelope: the request never got an answer from our server (offline,
    // server stopped, a proxy's HTML error page).
    return 'The server could not be reached. Check that it is running and try again.';
  }
  if (code === 'UNAUTHORIZED') return 'You are not signed in, or your session has ended. Sign in to continue.';
  if (code === 'FORBIDDEN') return 'Your role does not give access to this information.';
  if (code === 'NOT_FOUND') return 'This record was not found, or you do not have access to it.';
  if (code === 'TOO_MANY_REQUESTS') return 'Too many requests. Wait a moment and try again.';
  if (code === 'BAD_REQUEST' && Array.isArray(e.data?.zodIssues) && e.data.zodIssues.length > 0) {
    const first = e.data.zodIssues[0] as { path?: unknown; message?: unknown };
    const where = typeof first.path === 'string' && first.path !== '' ? `${first.path}: ` : '';
    return `The request could not be read (${where}${String(first.message ?? 'invalid value')}).`;
  }
  if (status !== undefined && status >= 500) return 'The server could not answer this request. Try again; if it keeps failing, tell your administrator.';
  return message || 'The request was refused.';
}

/** Whether a failed request is worth retrying automatically: not when the server understood and refused it. */
export function isRetryable(error: unknown): boolean {
  const status = (error as { data?: { httpStatus?: unknown } | null } | null)?.data?.httpStatus;
  return !(typeof status === 'number' && status >= 400 && status < 500);
}
