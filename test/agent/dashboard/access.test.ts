// The dashboard's access policy on its own: which requests pass, and which status refuses the rest.
import { describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import { checkAccess, newToken, type AccessPolicy } from '../../../agent/dashboard/access.js';

const PORT = 9615;
const policy: AccessPolicy = { token: 'secret-token' };

function request(method: string, path: string, headers: IncomingHttpHeaders) {
  return { method, url: new URL(path, 'http://dashboard'), headers };
}

describe('dashboard access', () => {
  it('makes a new random token for every dashboard', () => {
    expect(newToken()).toMatch(/^[\w-]{32}$/);
    expect(newToken()).not.toBe(newToken());
  });

  it('takes the token from ?token= or a Bearer header, and nothing else, on loopback too', () => {
    const host = { host: `127.0.0.1:${PORT}` };
    expect(checkAccess(request('GET', '/', host), policy)).toMatchObject({ ok: false, status: 401 });
    expect(checkAccess(request('GET', '/?token=secret-toke', host), policy)).toMatchObject({ ok: false, status: 401 });
    expect(checkAccess(request('GET', '/?token=secret-token', host), policy)).toEqual({ ok: true });
    expect(checkAccess(request('GET', '/', { ...host, authorization: 'Bearer secret-token' }), policy)).toEqual({ ok: true });
  });

  it('refuses an action without the header, from another origin or from another site', () => {
    const host = `127.0.0.1:${PORT}`;
    const post = (headers: IncomingHttpHeaders) => checkAccess(request('POST', '/api/processes/0/restart?token=secret-token', { host, ...headers }), policy);
    expect(post({})).toMatchObject({ ok: false, status: 403 });
    expect(post({ 'x-pmx-dashboard': '1' })).toEqual({ ok: true });
    expect(post({ 'x-pmx-dashboard': '1', origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).toEqual({ ok: true });
    expect(post({ 'x-pmx-dashboard': '1', origin: 'https://attacker.example' })).toMatchObject({ ok: false, status: 403 });
    expect(post({ 'x-pmx-dashboard': '1', 'sec-fetch-site': 'cross-site' })).toMatchObject({ ok: false, status: 403 });
  });
});
