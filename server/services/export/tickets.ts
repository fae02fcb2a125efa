/**
 * Export tickets: the tRPC procedure that checks the caller's access, audits
 * the export and fixes what it contains issues a ticket; the download route
 * (server/http/exports.ts) streams it once, to the same user, within a minute.
 * So access control stays in the procedures (and the matrix test), and the
 * bytes travel over a plain streaming HTTP response that the page can follow.
 * In memory, per process (a clinic runs one server process, decision 001).
 */
import { randomBytes } from 'node:crypto';
import type { ExportRequest } from './job.ts';

export const TICKET_TTL_MS = 60_000;
const MAX_TICKETS = 1_000;

export type Ticket = { userId: number; expiresAt: number; request: ExportRequest; auditAction: 'export.deidentified' | 'export.identified' };

const tickets = new Map<string, Ticket>();

export function issueTicket(t: Omit<Ticket, 'expiresAt'>, now: number): { token: string; expiresAt: number } {
  for (const [k, v] of tickets) if (v.expiresAt <= now) tickets.delete(k);
  if (tickets.size >= MAX_TICKETS) tickets.delete(tickets.keys().next().value!);
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + TICKET_TTL_MS;
  tickets.set(token, { ...t, expiresAt });
  return { token, expiresAt };
}

/** The ticket's export, once, for the user it was issued to; null otherwise (unknown, expired, used, someone else's). */
export function redeemTicket(token: string, userId: number, now: number): Ticket | null {
  const t = tickets.get(token);
  if (!t) return null;
  if (t.expiresAt <= now || t.userId !== userId) {
    if (t.expiresAt <= now) tickets.delete(token);
    return null;
  }
  tickets.delete(token);
  return t;
}
