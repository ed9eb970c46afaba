// The frame `pmx monit` draws: sized to the terminal, the selection marked, bars scaled.
import { describe, expect, it } from 'vitest';
import { renderMonit, type MonitState } from '../../../cli/output/monit-view.js';
import { displayWidth, styleFor } from '../../../cli/output/style.js';
import { FIXTURE_NOW, processDescription } from '../../fixtures/process-description.js';

const style = styleFor(false);
const state = (overrides: Partial<MonitState> = {}): MonitState => ({
  procs: [
    processDescription({ pm_id: 0, name: 'api', monit: { cpu: 50, memory: 512 * 2 ** 20 } }),
    processDescription({ pm_id: 1, name: 'worker', pm2_env: { status: 'stopped' } }),
  ],
  selected: 0,
  logs: [{ stream: 'out', text: 'hello' }, { stream: 'err', text: 'oops\u001b[2J' }],
  totalMemory: 1024 * 2 ** 20,
  now: FIXTURE_NOW,
  problem: null,
  ...overrides,
});

describe('renderMonit', () => {
  it('fills the terminal exactly, no line wider than it', () => {
    const lines = renderMonit(state(), 100, 30, style);
    expect(lines).toHaveLength(30);
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(100);
  });

  it('marks the selected process and scales its bars: CPU of one core, memory of the machine', () => {
    const lines = renderMonit(state(), 120, 30, style);
    expect(lines.find((line) => line.startsWith('▶'))).toMatch(/▶ 0 +api +online +█████░░░░░ +50% █████░░░░░ +512\.0mb/);
    expect(lines.find((line) => line.includes('worker'))).toMatch(/^ {2}1 +worker +stopped/);
  });

  it("shows the selected process's metrics and its logs, control characters escaped", () => {
    const text = renderMonit(state({ selected: 1 }), 120, 30, style).join('\n');
    expect(text).toMatch(/│ name +worker/);
    expect(text).toContain('logs of worker (id 1)');
    expect(text).toContain('oops\\e[2J');
    expect(text).not.toContain('\u001b');
  });

  it('says why the list could not be refreshed', () => {
    expect(renderMonit(state({ problem: 'the agent closed the connection' }), 120, 30, style)[0]).toContain('the agent closed the connection');
  });
});
