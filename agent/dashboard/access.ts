// Who may use a dashboard. Bound to 127.0.0.1 it needs no token, but the Host header must name
// loopback, so a page that rebinds its own DNS name to 127.0.0.1 cannot read the list. Bound to
// any other address, every request (page, JSON, event streams, actions) must carry the random
// token. Actions also need a custom header and, when the browser sends one, a same-origin Origin:
// a foreign page can neither post a form nor send a cross-site fetch with that header.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The header every action (POST) must carry; the page's script sends it. */
export const ACTION_HEADER = 'x-pmx-dashboard';

/** The one address served without a token. */
const TOKENLESS_HOST = '127.0.0.1';

/** What one dashboard server demands of its requests. */
export interface AccessPolicy {
  /** Null when bound to 127.0.0.1. */
  token: string | null;
  port: number;
}

/** The parts of a request the policy looks at. */
export interface RequestFacts {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
}

/** Whether a request may go on; when not, the status to answer and why. */
export type AccessVerdict = { ok: true } | { ok: false; status: 401 | 403; reason: string };

/** A fresh token for a dashboard bound to `host`, or null when none is required. */
export function tokenFor(host: string): string | null {
  return host === TOKENLESS_HOST ? null : randomBytes(24).toString('base64url');
}

/** Lets the request through, or says which status refuses it and why. */
export function checkAccess(request: RequestFacts, policy: AccessPolicy): AccessVerdict {
  if (policy.token === null) {
    if (!isLoopbackHost(request.headers.host, policy.port)) return { ok: false, status: 403, reason: 'the Host header does not name this loopback dashboard' };
  } else if (!sameSecret(presentedToken(request), policy.token)) {
    return { ok: false, status: 401, reason: 'a valid token is required' };
  }
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

function isLoopbackHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}
