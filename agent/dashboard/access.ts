// Who may use a dashboard. Every request (page, JSON, event streams, actions) must carry the
// random token that `pmx dashboard` prints, on 127.0.0.1 too: the agent's socket is private to its
// user, and a port on loopback is open to every user of the machine. Actions also need a custom
// header and, when the browser sends one, a same-origin Origin: a foreign page can neither post a
// form nor send a cross-site fetch with that header.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The header every action (POST) must carry; the page's script sends it. */
export const ACTION_HEADER = 'x-pmx-dashboard';

/** What one dashboard server demands of its requests. */
export interface AccessPolicy {
  token: string;
}

/** The parts of a request the policy looks at. */
export interface RequestFacts {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
}

/** Whether a request may go on; when not, the status to answer and why. */
export type AccessVerdict = { ok: true } | { ok: false; status: 401 | 403; reason: string };

/** A fresh token for a dashboard. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Lets the request through, or says which status refuses it and why. */
export function checkAccess(request: RequestFacts, policy: AccessPolicy): AccessVerdict {
  if (!sameSecret(presentedToken(request), policy.token)) return { ok: false, status: 401, reason: 'a valid token is required' };
  if (request.method !== 'POST') return { ok: true };
  if (request.headers[ACTION_HEADER] !== '1') return { ok: false, status: 403, reason: `actions need the ${ACTION_HEADER} header` };
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) return { ok: false, status: 403, reason: 'cross-origin action refused' };
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return { ok: false, status: 403, reason: 'cross-site action refused' };
  return { ok: true };
}

/** The token in `?token=` or in an `Authorization: Bearer` header. */
function presentedToken(request: RequestFacts): string {
  const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
  return bearer?.[1] ?? request.url.searchParams.get('token') ?? '';
}

/** Compares in constant time (digests first, so that lengths leak nothing either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

