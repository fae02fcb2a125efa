import { userInfo } from 'node:os';

/**
 * Who a command-line action is recorded as in the audit log: `cli:<os user>`.
 * The OS account is what the host knows about the person at the terminal; it
 * is reduced to a safe alphabet so it cannot forge structure in the log.
 */
export function cliActor(): string {
  let name = 'unknown';
  try {
    name = userInfo().username.replace(/[^A-Za-z0-9._-]/g, '') || 'unknown';
  } catch {
    // no passwd entry for this uid (some containers)
  }
  return `cli:${name}`;
}
