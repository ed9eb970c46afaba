// known_hosts as OpenSSH reads it: plain, hashed and [host]:port names, patterns, revoked keys,
// several files, and which host-key algorithms to ask for first.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addHostKey, fingerprint, keyType, preferredHostKeyAlgorithms, verifyHostKey } from '../../../cli/transport/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-known-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function hostKey(type: 'ed25519' | 'ecdsa' | 'rsa'): { line: string; blob: Buffer } {
  const file = join(dir, `key-${type}-${Math.random().toString(36).slice(2)}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64') };
}
const ed = hostKey('ed25519');
const other = hostKey('ed25519');
const ecdsa = hostKey('ecdsa');
const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('verifyHostKey', () => {
  it('matches plain names, patterns and [host]:port, and refuses negated names', () => {
    const file = write('patterns', `# comment\n\nweb.example,10.0.0.5 ${ed.line}\n*.internal,!secret.internal ${ed.line}\n[10.0.0.5]:2222 ${ecdsa.line}\n`);
    expect(verifyHostKey([file], 'web.example', 22, ed.blob)).toEqual({ kind: 'match' });
    expect(verifyHostKey([file], 'app.internal', 22, ed.blob)).toEqual({ kind: 'match' });
    expect(verifyHostKey([file], 'secret.internal', 22, ed.blob)).toEqual({ kind: 'unknown' });
    expect(verifyHostKey([file], '10.0.0.5', 2222, ecdsa.blob)).toEqual({ kind: 'match' });
    expect(verifyHostKey([file], '10.0.0.5', 2222, ed.blob)).toEqual({ kind: 'unknown' });
  });

  it('reads hashed names, port included', () => {
    const file = write('hashed', `[10.0.0.9]:2200 ${ed.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    expect(verifyHostKey([file], '10.0.0.9', 2200, ed.blob)).toEqual({ kind: 'match' });
    expect(verifyHostKey([file], '10.0.0.9', 22, ed.blob)).toEqual({ kind: 'unknown' });
  });

  it('calls a different key of the same type a mismatch, with file and line; a key in any file matches', () => {
    const first = write('first', `host.example ${other.line}\n`);
    const second = write('second', `host.example ${ed.line}\n`);
    expect(verifyHostKey([first], 'host.example', 22, ed.blob)).toEqual({ kind: 'mismatch', file: first, line: 1 });
    expect(verifyHostKey([first, second], 'host.example', 22, ed.blob)).toEqual({ kind: 'match' });
    expect(verifyHostKey([write('other-type', `host.example ${ecdsa.line}\n`)], 'host.example', 22, ed.blob)).toEqual({ kind: 'unknown' });
    expect(verifyHostKey([join(dir, 'absent')], 'host.example', 22, ed.blob)).toEqual({ kind: 'unknown' });
  });

  it('refuses a revoked key', () => {
    const file = write('revoked', `host.example ${ed.line}\n@revoked * ${ed.line}\n`);
    expect(verifyHostKey([file], 'host.example', 22, ed.blob)).toEqual({ kind: 'revoked', file, line: 2 });
  });
});

describe('host key helpers', () => {
  it('prints fingerprints as ssh-keygen does', () => {
    expect(execFileSync('ssh-keygen', ['-lf', '-'], { input: `h ${ed.line}\n` }).toString()).toContain(fingerprint(ed.blob));
    expect(keyType(ecdsa.blob)).toBe('ecdsa-sha2-nistp256');
  });

  it('asks first for the algorithms of the keys known for the host', () => {
    const file = write('preferred', `rsa.example ${hostKey('rsa').line}\n[ec.example]:2222 ${ecdsa.line}\n`);
    expect(preferredHostKeyAlgorithms([file], 'rsa.example', 22).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(preferredHostKeyAlgorithms([file], 'ec.example', 2222)[0]).toBe('ecdsa-sha2-nistp256');
    expect(preferredHostKeyAlgorithms([file], 'new.example', 22)[0]).toBe('ssh-ed25519');
  });

  it('records a new host in a known_hosts file it creates', () => {
    const file = join(dir, 'nested', 'known_hosts');
    addHostKey(file, 'new.example', 2222, ecdsa.blob);
    expect(readFileSync(file, 'utf8')).toBe(`[new.example]:2222 ${ecdsa.line}\n`);
    expect(verifyHostKey([file], 'new.example', 2222, ecdsa.blob)).toEqual({ kind: 'match' });
  });
});
