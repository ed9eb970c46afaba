// How health checks read in `ls` and `describe`: a mark after `online`, and the check's rules,
// state and the restarts the agent decided on its own.
import { describe, expect, it } from 'vitest';
import { renderList } from '../../../cli/output/list.js';
import { renderDescribe } from '../../../cli/output/describe.js';
import { FIXTURE_NOW, processDescription } from '../../fixtures/process-description.js';

const check = { target: { http: 'http://ops:hunter2@127.0.0.1:3000/health' }, interval: 10_000, timeout: 5000, failures: 3, start_period: 0 };
const state = (status: 'starting' | 'healthy' | 'unhealthy', failures = 0) => ({ status, failures, last_check: FIXTURE_NOW - 3000, last_error: failures > 0 ? 'HTTP 503 from http://ops:***@127.0.0.1:3000/health' : null });

describe('ls', () => {
  it('marks the status of an online app with a health check, and only then', () => {
    const procs = [
      processDescription({ pm_id: 0, name: 'ok', pm2_env: { health_check: check, health: state('healthy') } }),
      processDescription({ pm_id: 1, name: 'booting', pm2_env: { health_check: check, health: state('starting') } }),
      processDescription({ pm_id: 2, name: 'sick', pm2_env: { health_check: check, health: state('unhealthy', 3) } }),
      processDescription({ pm_id: 3, name: 'plain' }),
      processDescription({ pm_id: 4, name: 'off', pm2_env: { status: 'stopped', health_check: check } }),
    ];
    const table = renderList(procs, { color: false, columns: 200, now: FIXTURE_NOW });
    const status = (name: string): string | undefined => table.split('\n').find((line) => line.includes(` ${name} `))?.split('│')[9]?.trim();
    expect(status('ok')).toBe('online ✓');
    expect(status('booting')).toBe('online …');
    expect(status('sick')).toBe('online ✗');
    expect(status('plain')).toBe('online');
    expect(status('off')).toBe('stopped');
  });
});

describe('describe', () => {
  it('shows the rules without the password, the state, and each restart the agent decided', () => {
    const out = renderDescribe(processDescription({
      pm2_env: {
        hang_timeout: 30_000,
        health_check: check,
        health: state('healthy', 1),
        pmx_events: [
          { event: 'hung', at: FIXTURE_NOW - 60_000, blocked_ms: 30_412 },
          { event: 'health', at: FIXTURE_NOW - 30_000, reason: 'GET http://ops:***@127.0.0.1:3000/health: no answer within 5000 ms' },
        ],
      },
    }), { color: false, now: FIXTURE_NOW });
    expect(out).toMatch(/│ hang timeout +│ 30000ms/);
    expect(out).toMatch(/│ health check +│ http http:\/\/ops:\*\*\*@127\.0\.0\.1:3000\/health every 10000ms, timeout 5000ms, 3 failures, start period 0ms/);
    expect(out).toMatch(/│ health +│ healthy, 1 failure in a row \(checked 3s ago: HTTP 503 from/);
    expect(out).toMatch(/│ hung restart +│ at 2025-01-15T11:59:00\.000Z: event loop blocked for 30412 ms/);
    expect(out).toMatch(/│ health restart +│ at 2025-01-15T11:59:30\.000Z: health check failed: GET .+ no answer within 5000 ms/);
    expect(out).not.toContain('hunter2');
  });

  it('shows a token given as the URL\'s user name (no password) as ***, as it does a password', () => {
    const out = renderDescribe(processDescription({ pm2_env: { health_check: { ...check, target: { http: 'http://s3cr3tT0ken@127.0.0.1:3000/health' } } } }), { color: false, now: FIXTURE_NOW });
    expect(out).toMatch(/│ health check +│ http http:\/\/\*\*\*@127\.0\.0\.1:3000\/health every/);
    expect(out).not.toContain('s3cr3tT0ken');
  });
});
