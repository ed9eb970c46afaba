// StrictHostKeyChecking as pmx applies it to a host key the server shows: verified against the
// known_hosts files ('yes'), recorded when new ('accept-new'), or not checked ('no').
import type { HostTarget } from './host-target.js';
import { addHostKey, fingerprint, verifyHostKey } from './known-hosts.js';
import { TransportError } from './types.js';

/** The refusal for `key` shown by `target`, or null to go on; `where` is how the host was reached (the error's address). */
export function checkHostKey(target: HostTarget, key: Buffer, where: string): TransportError | null {
  if (target.strictHostKeyChecking === 'no') return null;
  const verdict = verifyHostKey(target.knownHostsFiles, target.hostname, target.port, key);
  const print = fingerprint(key);
  const file = target.knownHostsFiles[0] ?? '~/.ssh/known_hosts';
  switch (verdict.kind) {
    case 'match':
      return null;
    case 'unknown':
      if (target.strictHostKeyChecking === 'accept-new') {
        try {
          addHostKey(file, target.hostname, target.port, key);
          return null;
        } catch (error) {
          return new TransportError(`host key ${print} is new and cannot be recorded in ${file}: ${(error as Error).message}`, { code: 'HOST_KEY_UNKNOWN', host: target.label, address: where, detail: { fingerprint: print } });
        }
      }
      return new TransportError(`host key ${print} is not in ${target.knownHostsFiles.join(' or ') || 'any known_hosts file'}. Check that fingerprint with the host's administrator, then add it: ssh-keyscan -p ${target.port} ${target.hostname} >> ${file}${target.proxyJump ? ` (run ssh-keyscan on ${target.proxyJump.label}, which can reach it)` : ''}`, { code: 'HOST_KEY_UNKNOWN', host: target.label, address: where, detail: { fingerprint: print } });
    case 'mismatch':
      return new TransportError(`host key ${print} does not match the one in ${verdict.file}:${verdict.line}. If the host was reinstalled, remove that line; otherwise someone may be in the middle.`, { code: 'HOST_KEY_MISMATCH', host: target.label, address: where, detail: { fingerprint: print, file: verdict.file, line: verdict.line } });
    case 'revoked':
      return new TransportError(`host key ${print} is revoked in ${verdict.file}:${verdict.line}`, { code: 'HOST_KEY_MISMATCH', host: target.label, address: where, detail: { fingerprint: print, file: verdict.file, line: verdict.line } });
  }
}
