// The agent killed with SIGKILL halfway through `pmx startOrReload <file>` of several apps: the
// command said only "the agent closed the connection", and the user was left to guess which apps
// had been reloaded. It now waits for the next agent (which takes over what the dead one left) and
// says, app by app, which started since the request and which run as before; exit 1.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PMX_BIN, PmxSandbox, alive, eventually } from '../helpers/pmx.js';
import { freePort } from '../helpers/net.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-agent-died-mid-start-');
afterAll(() => pmx.cleanup());

const NAMES = ['a', 'b', 'c'];

describe('the agent killed during startOrReload of a file', () => {
  it('says which of the apps started since the request and which run as before, as the next agent runs them', async () => {
    const file = join(pmx.dir, 'apps.config.js');
    const ports = await Promise.all(NAMES.map(() => freePort()));
    // each process listens once its gate file (of its app and release) exists; a reload goes on to
    // the next app only once the new process listens (min_uptime is far longer)
    const gate = (name: string, release: string): string => join(pmx.dir, `gate-${name}-${release}`);
    const write = (release: string): void => {
      const list = NAMES.map((name, i) => ({ name, script: join(apps, 'slow-listen.js'), min_uptime: 60_000, env: { PORT: String(ports[i]), LISTEN_GATE: gate(name, release) } }));
      writeFileSync(file, `module.exports = ${JSON.stringify({ apps: list })};\n`);
    };
    for (const name of NAMES) writeFileSync(gate(name, 'v1'), '');
    write('v1');
    await pmx.ok(['start', file]);
    const before = new Map((await pmx.jlist()).map((entry) => [entry.name, entry.pid]));

    write('v2');
    writeFileSync(gate('a', 'v2'), '');
    const cli = spawn(process.execPath, [PMX_BIN, 'startOrReload', file], { cwd: pmx.dir, env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    cli.stdout.resume();
    const exited = new Promise<number | null>((resolve) => cli.once('close', (code) => resolve(code)));
    // a reloaded; b's new process boots and waits for its gate
    const bOut = join(pmx.home, 'logs', 'b-out.log');
    await eventually('b reloading', () => existsSync(bOut) && readFileSync(bOut, 'utf8').split('\n').filter((line) => line.startsWith('booting ')).length >= 2, 20_000);
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    expect(await exited).toBe(1);

    const list = await pmx.jlist();
    const now = new Map(list.map((entry) => [entry.name, entry]));
    expect(now.get('a')!.pid).not.toBe(before.get('a'));
    expect(now.get('b')!.pid).not.toBe(before.get('b'));
    expect(now.get('c')!.pid).toBe(before.get('c'));
    for (const name of NAMES) expect(alive(now.get(name)!.pid), name).toBe(true);
    for (const name of ['a', 'b']) expect(alive(before.get(name)!), name).toBe(false);

    expect(stderr).toContain(`[PMX][ERROR] the agent (pid ${agent}) died before it answered startOrReload (a, b, c): what it had done stands, and the next agent took it over. Now:\n`);
    const line = (name: string, since: string): string => `  ${name} (id ${now.get(name)!.pm_id}): ${now.get(name)!.pm2_env.status}, pid ${now.get(name)!.pid}, ${since}\n`;
    expect(stderr).toContain(line('a', 'started since the request'));
    expect(stderr).toContain(line('b', 'started since the request'));
    expect(stderr).toContain(line('c', 'as before the request'));
    expect(stderr).not.toContain('the agent closed the connection');
    await pmx.ok(['kill']);
  });
});
