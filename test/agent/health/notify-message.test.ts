// A notify datagram is read as systemd reads it: newline-separated assignments, unknown keys and
// malformed values ignored (systemd-notify --ready sends BARRIER=1 after READY=1).
import { describe, expect, it } from 'vitest';
import { parseNotify } from '../../../agent/health/notify-message.js';

describe('parseNotify', () => {
  it('reads every key pmx acts on', () => {
    expect(parseNotify('READY=1\nSTATUS=Serving 3 queues\nWATCHDOG=1\nMAINPID=4242')).toEqual({ ready: true, status: 'Serving 3 queues', watchdog: 'ping', mainpid: 4242 });
    expect(parseNotify('STOPPING=1')).toEqual({ stopping: true });
    expect(parseNotify('RELOADING=1\nMONOTONIC_USEC=123')).toEqual({ reloading: true });
    expect(parseNotify('WATCHDOG=trigger')).toEqual({ watchdog: 'trigger' });
  });

  it('keeps an empty STATUS= (it clears the line) and an = inside it', () => {
    expect(parseNotify('STATUS=')).toEqual({ status: '' });
    expect(parseNotify('STATUS=a=b')).toEqual({ status: 'a=b' });
  });

  it('ignores unknown keys and values systemd would not take', () => {
    expect(parseNotify('BARRIER=1')).toEqual({});
    expect(parseNotify('READY=0\nWATCHDOG=2\nMAINPID=0\nMAINPID=12x\n=1\ngarbage')).toEqual({});
  });
});
