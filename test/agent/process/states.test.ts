// The named groups of process states, as a table over every state: what each predicate answers,
// and how the groups relate (a new state does not pass until its row is written).
import { describe, expect, it } from 'vitest';
import {
  ProcessState,
  isDormant,
  isRunning,
  isServing,
  isSettled,
  isSignallable,
  isUnattended,
  publicStatus,
  type ProcessStatus,
} from '../../../agent/process/states.js';

type Row = {
  running: boolean;
  serving: boolean;
  dormant: boolean;
  settled: boolean;
  signallable: boolean;
  unattended: boolean;
  public: string;
};

const TABLE: Record<ProcessStatus, Row> = {
  launching: { running: true, serving: false, dormant: false, settled: false, signallable: true, unattended: true, public: 'launching' },
  online: { running: true, serving: true, dormant: false, settled: true, signallable: true, unattended: true, public: 'online' },
  replacing: { running: true, serving: true, dormant: false, settled: false, signallable: true, unattended: false, public: 'online' },
  stopping: { running: true, serving: false, dormant: false, settled: false, signallable: false, unattended: false, public: 'stopping' },
  stopped: { running: false, serving: false, dormant: true, settled: true, signallable: false, unattended: false, public: 'stopped' },
  errored: { running: false, serving: false, dormant: true, settled: true, signallable: false, unattended: false, public: 'errored' },
  'waiting restart': { running: false, serving: false, dormant: false, settled: true, signallable: false, unattended: false, public: 'waiting restart' },
};

const STATES = Object.values(ProcessState);

describe('process state groups', () => {
  it('the table has a row for every state and no other', () => {
    expect(Object.keys(TABLE).sort()).toEqual([...STATES].sort());
  });

  it.each(STATES)('%s', (status) => {
    const row = TABLE[status];
    expect({
      running: isRunning(status),
      serving: isServing(status),
      dormant: isDormant(status),
      settled: isSettled(status),
      signallable: isSignallable(status),
      unattended: isUnattended(status),
      public: publicStatus(status),
    }).toEqual(row);
  });

  it('a signallable state has a child, and one that runs unattended is signallable', () => {
    for (const status of STATES) {
      if (isSignallable(status)) expect(isRunning(status), status).toBe(true);
      if (isUnattended(status)) expect(isSignallable(status), status).toBe(true);
      if (isServing(status)) expect(isSignallable(status), status).toBe(true);
    }
  });

  it('a dormant state has no child and is settled', () => {
    for (const status of STATES.filter(isDormant)) {
      expect(isRunning(status), status).toBe(false);
      expect(isSettled(status), status).toBe(true);
    }
  });

  it('every state with no child is settled: only a launch, a stop or a replacement is ever waited for', () => {
    for (const status of STATES.filter((each) => !isRunning(each))) expect(isSettled(status), status).toBe(true);
    expect(STATES.filter((each) => !isSettled(each)).sort()).toEqual(['launching', 'replacing', 'stopping']);
  });
});
