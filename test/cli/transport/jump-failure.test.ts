// A jump host's failure is reported for the host behind it: its code kept, and a message that names
// the jump host and how it was reached (the transport composes it, not cli/output). No host needed:
// a jump host with no key to log in with fails before any packet is sent.
import { describe, expect, it } from 'vitest';
import { errorLine } from '../../../cli/output/errors.js';
import type { HostTarget } from '../../../cli/transport/host-target.js';
import { openConnection } from '../../../cli/transport/ssh-connection.js';
import { TransportError } from '../../../cli/transport/types.js';
import { targetOf } from './host-target.js';

function target(label: string, overrides: Partial<HostTarget> = {}): HostTarget {
  return targetOf({ label, hostname: '127.0.0.1', port: 1, user: 'deploy', ...overrides });
}

describe('a jump host that fails', () => {
  it('fails the host behind it with the jump named as the reporter would name it', async () => {
    const bastion = target('bastion', { user: 'jumper' });
    const error = await openConnection(target('web1', { hostname: '10.0.0.7', port: 22, proxyJump: bastion })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    const failed = error as TransportError;
    expect(failed).toMatchObject({ code: 'AUTH_FAILED', host: 'web1', address: 'deploy@10.0.0.7:22 via bastion', detail: { jump: 'bastion' } });
    expect(failed.message).toMatch(/^through jump host bastion \(jumper@127\.0\.0\.1:1\): no key to log in as jumper with /);
    expect(errorLine(failed)).toMatch(/^web1 \(deploy@10\.0\.0\.7:22 via bastion\): through jump host bastion \(jumper@127\.0\.0\.1:1\): no key/);
  });
});
