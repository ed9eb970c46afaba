// The dashboard's access policy on its own: which requests pass, and which status refuses the rest.
import { describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import { checkAccess, tokenFor, type AccessPolicy } from '../../../agent/dashboard/access.js';

const PORT = 9615;
const local: AccessPolicy = { token: null, port: PORT };
const remote: AccessPolicy = { token: 'secret-token', port: PORT };

function request(method: string, path: string, headers: IncomingHttpHeaders) {
  return { method, url: new URL(path, 'http://dashboard'), headers };
}

describe('dashboard access', () => {
  it('needs no token on 127.0.0.1 only', () => {
    expect(tokenFor('127.0.0.1')).toBeNull();
    for (const host of ['127.0.0.2', '0.0.0.0', '::1', 'localhost']) expect(tokenFor(host)).toMatch(/^[\w-]{32}$/);
    expect(tokenFor('0.0.0.0')).not.toBe(tokenFor('0.0.0.0'));
  });

  it('on 127.0.0.1 refuses a Host that is not loopback (a DNS-rebinding page)', () => {
    expect(checkAccess(request('GET', '/api/processes', { host: `127.0.0.1:${PORT}` }), local)).toEqual({ ok: true });
    expect(checkAccess(request('GET', '/api/processes', { host: `localhost:${PORT}` }), local)).toEqual({ ok: true });
    expect(checkAccess(request('GET', '/api/processes', { host: `attacker.example:${PORT}` }), local)).toMatchObject({ ok: false, status: 403 });
  });

  it('elsewhere takes the token from ?token= or a Bearer header, and nothing else', () => {
    const host = { host: `10.0.0.5:${PORT}` };
    expect(checkAccess(request('GET', '/', host), remote)).toMatchObject({ ok: false, status: 401 });
    expect(checkAccess(request('GET', '/?token=secret-toke', host), remote)).toMatchObject({ ok: false, status: 401 });
    expect(checkAccess(request('GET', '/?token=secret-token', host), remote)).toEqual({ ok: true });
    expect(checkAccess(request('GET', '/', { ...host, authorization: 'Bearer secret-token' }), remote)).toEqual({ ok: true });
  });

  it('refuses an action without the header, from another origin or from another site', () => {
    const host = `127.0.0.1:${PORT}`;
    const post = (headers: IncomingHttpHeaders) => checkAccess(request('POST', '/api/processes/0/restart', { host, ...headers }), local);
    expect(post({})).toMatchObject({ ok: false, status: 403 });
    expect(post({ 'x-pmx-dashboard': '1' })).toEqual({ ok: true });
    expect(post({ 'x-pmx-dashboard': '1', origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).toEqual({ ok: true });
    expect(post({ 'x-pmx-dashboard': '1', origin: 'https://attacker.example' })).toMatchObject({ ok: false, status: 403 });
    expect(post({ 'x-pmx-dashboard': '1', 'sec-fetch-site': 'cross-site' })).toMatchObject({ ok: false, status: 403 });
  });
});
