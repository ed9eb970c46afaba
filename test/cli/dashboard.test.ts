// `pmx dashboard` in a real headless Chromium: the page lists a started app live, shows its log,
// and its restart button restarts it; every request needs the token (on loopback too), and
// actions demand the page's header. All traffic stays on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { FIXTURES, PmxSandbox, eventually } from '../helpers/pmx.js';
import { freePort } from '../helpers/net.js';

const CHROMIUM = '/usr/bin/chromium';
const ticker = join(FIXTURES, 'apps/ticker.js');
const pmx = new PmxSandbox('pmx-dashboard-');
let browser: Browser | null = null;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/system-deps.sh as root (Debian package chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await pmx.cleanup();
});

/** Runs `pmx dashboard` and returns the URL it printed. */
async function openDashboard(args: string[]): Promise<string> {
  const out = await pmx.ok(['dashboard', ...args]);
  const url = /(http:\/\/\S+)/.exec(out)?.[1];
  if (!url) throw new Error(`no URL in: ${out}`);
  return url;
}

describe('pmx dashboard', () => {
  it('shows a started app online with its log, and its restart button restarts it', async () => {
    await pmx.ok(['start', ticker, '-n', 'tick'], { env: { EVERY: '300' } });
    const before = await pmx.proc('tick');
    const port = await freePort();
    const url = await openDashboard(['--port', String(port)]);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[\\w-]{32}$`));
    expect(await openDashboard(['--port', String(port)])).toBe(url); // idempotent
    // loopback is open to every user of the machine: the token is required there too
    expect((await fetch(`http://127.0.0.1:${port}/api/processes`)).status).toBe(401);

    const page = await browser!.newPage();
    try {
      await page.goto(url);
      const row = page.locator('tr[data-name="tick"]');
      await page.waitForFunction(() => document.querySelector('tr[data-name="tick"] .status')?.textContent === 'online');
      expect(await row.locator('.pid').textContent()).toBe(String(before.pid));

      await row.locator('td.name').click();
      // 'tick 0' was written before the page opened: it comes from the log file, the later ones live
      await page.waitForFunction(() => [...document.querySelectorAll('#log .line')].some((line) => line.textContent === 'tick 0'));
      const shown = await page.locator('#log .line').count();
      await page.waitForFunction((count) => document.querySelectorAll('#log .line').length > count, shown); // live lines keep coming

      await row.locator('button[data-action="restart"]').click();
      const after = await eventually('a restart through the page', async () => {
        const proc = await pmx.proc('tick');
        return proc.pm2_env.restart_time > before.pm2_env.restart_time && proc.pid > 0 && proc.pid !== before.pid ? proc : null;
      });
      expect(after.pm2_env.status).toBe('online');
      await page.waitForFunction((pid) => document.querySelector('tr[data-name="tick"] .pid')?.textContent === String(pid), after.pid);
      expect(await row.locator('.restarts').textContent()).toBe(String(after.pm2_env.restart_time));
    } finally {
      await page.close();
    }
  }, 60_000);

  it('bound to another address requires the token on every request, and actions require the header', async () => {
    const port = await freePort();
    const url = await openDashboard(['--port', String(port), '--host', '127.0.0.2']);
    const token = new URL(url).searchParams.get('token');
    expect(token).toMatch(/^[\w-]{32}$/);
    const base = `http://127.0.0.2:${port}`;
    const tick = await pmx.proc('tick');
    const action = `${base}/api/processes/${tick.pm_id}/restart`;

    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/api/processes`)).status).toBe(401);
    expect((await fetch(`${base}/api/events?token=wrong-${token}`)).status).toBe(401);
    expect((await fetch(`${base}/api/processes?token=${token}`)).status).toBe(200);
    expect((await fetch(`${base}/api/processes`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(action, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${action}?token=${token}`, { method: 'POST' })).status).toBe(403);
    const foreign = await fetch(`${action}?token=${token}`, { method: 'POST', headers: { 'x-pmx-dashboard': '1', origin: 'http://127.0.0.1:1' } });
    expect(foreign.status).toBe(403);
    expect((await pmx.proc('tick')).pm2_env.restart_time).toBe(tick.pm2_env.restart_time);

    const page = await browser!.newPage();
    try {
      await page.goto(url);
      await page.waitForFunction(() => document.querySelector('tr[data-name="tick"] .status')?.textContent === 'online');
    } finally {
      await page.close();
    }
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).not.toContain(token);
  }, 60_000);
});
