// The rule behind pmx-runtime's /readyz: which processes keep the agent from being ready, and why.
import { describe, expect, it } from 'vitest';
import { notReadyProcesses, type ReadinessView } from '../../../agent/health/readiness.js';
import type { HealthState } from '../../../agent/protocol/types.js';

const health = (status: HealthState['status'], lastError: string | null = null): HealthState => ({ status, failures: lastError ? 1 : 0, last_check: 1, last_error: lastError });
const view = (status: ReadinessView['status'], probed = false, state: HealthState | null = null): ReadinessView => ({ id: 3, name: 'api', status, probed, health: state });

describe('readiness', () => {
  it('is ready when every process serves and every probed one passed its last probe', () => {
    expect(notReadyProcesses([view('online'), view('online', true, health('healthy')), view('replacing', true, health('healthy'))])).toEqual([]);
    expect(notReadyProcesses([{ ...view('online'), notice: { state: 'ready', status: 'serving' } }, { ...view('online'), notice: { state: 'reloading', status: null } }])).toEqual([]);
  });

  it('leaves stopped processes out: a job that finished, an app stopped on purpose', () => {
    expect(notReadyProcesses([view('online'), view('stopped'), view('stopped', true, null), { ...view('stopped'), endedByItself: true, exitCode: 0 }])).toEqual([]);
    // an exit the app declared wanted (stop_exit_codes) is a finish, not a crash
    expect(notReadyProcesses([{ ...view('stopped'), endedByItself: true, exitCode: 3, wantedCodes: [3] }])).toEqual([]);
  });

  it('names one that crashed and was not restarted (autorestart off)', () => {
    expect(notReadyProcesses([view('online'), { ...view('stopped'), endedByItself: true, exitCode: 1 }])).toEqual([{ id: 3, name: 'api', why: 'stopped after exit code 1' }]);
    expect(notReadyProcesses([{ ...view('stopped'), endedByItself: true, exitCode: null }])).toEqual([{ id: 3, name: 'api', why: 'stopped after exit code none (a signal)' }]);
  });

  it.each([
    [view('launching'), 'launching'],
    [view('errored'), 'errored'],
    [view('waiting restart'), 'waiting restart'],
    [view('stopping', true, health('healthy')), 'stopping'],
    [view('online', true, null), 'online, health check starting'],
    [view('online', true, health('starting', 'HTTP 503')), 'online, health check starting'],
    [view('online', true, health('unhealthy', 'HTTP 503')), 'online, unhealthy'],
    [view('replacing', true, health('healthy', 'HTTP 503')), 'online, its last health check failed'],
    // a notify app is ready when it says so, and no longer once it says it is going away
    [{ ...view('online'), notice: { state: 'starting', status: null } }, 'online, no READY=1 yet'],
    [{ ...view('online'), notice: { state: 'stopping', status: 'draining' } }, 'online, said STOPPING=1'],
  ])('names %j as not ready: %s', (proc, why) => {
    expect(notReadyProcesses([view('online'), proc])).toEqual([{ id: 3, name: 'api', why }]);
  });
});
