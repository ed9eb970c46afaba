// A torn dump (a crash or a full disk during a write by another tool): resurrect says which file
// it used and warns about the torn one, save never rotates a torn file into the backup, and an
// entry of the wrong shape is an error naming it, with nothing started.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-torn-dump-');
afterAll(() => pmx.cleanup());

const dump = join(pmx.home, 'dump.pmx');
const backup = `${dump}.bak`;
const TORN = '{"pmx_dump":1,"processes":[{"pm_';

describe('a torn dump', () => {
  it('resurrect uses the backup, says so, and warns about the torn file', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'kept']);
    await pmx.ok(['save']);
    await pmx.ok(['save']); // the backup holds 'kept' too
    writeFileSync(dump, TORN);
    await pmx.ok(['delete', 'all']);
    const run = await pmx.run(['resurrect']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Resurrected 1 process from ${backup}`);
    expect(run.stderr).toContain(`[PMX][WARN] ${dump} is torn or not JSON`);
    expect(run.stderr).toContain(`used the previous dump ${backup}, saved `);
    expect((await pmx.jlist()).map((entry) => entry.name)).toEqual(['kept']);
  });

  it('save replaces the torn file but never rotates it into the backup', async () => {
    const good = readFileSync(backup, 'utf8');
    const run = await pmx.run(['save']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`${dump} was torn or not JSON`);
    expect(run.stderr).toContain(`${backup} kept as it was`);
    expect(readFileSync(backup, 'utf8')).toBe(good);
    expect(JSON.parse(readFileSync(dump, 'utf8')).processes.map((entry: { spec: { name: string } }) => entry.spec.name)).toEqual(['kept']);
  });

  it('an empty list is not saved over a torn dump whose backup holds processes', async () => {
    await pmx.ok(['delete', 'all']);
    writeFileSync(dump, TORN);
    const run = await pmx.run(['save']);
    // as PM2 answers a save with nothing to save: a warning, exit 0, and the saved list is kept
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('with an empty list');
    expect(run.stderr).toContain('the saved list is kept');
    expect(readFileSync(dump, 'utf8')).toBe(TORN);
  });

  it('an entry of the wrong shape is an error naming the file, the entry and the key, and nothing starts', async () => {
    const valid = JSON.parse(readFileSync(backup, 'utf8'));
    const entry = valid.processes[0];
    const second = { ...entry, pm_id: 1, spec: { ...entry.spec, name: 'broken', script: 42 } };
    writeFileSync(dump, JSON.stringify({ ...valid, processes: [entry, second] }));
    const run = await pmx.run(['resurrect']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${dump}: entry 1 ('broken'): spec.script must be a string, got 42`);
    expect(run.stderr).not.toContain('Cannot read properties');
    expect(await pmx.jlist()).toEqual([]);
  });

  it('a pm_id past 2^31 - 1 is refused: ids count up from the highest, and past 2^53 two would be one number', async () => {
    const valid = JSON.parse(readFileSync(backup, 'utf8'));
    const entry = valid.processes[0];
    writeFileSync(dump, JSON.stringify({ ...valid, processes: [{ ...entry, pm_id: Number.MAX_SAFE_INTEGER }] }));
    const run = await pmx.run(['resurrect']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${dump}: entry 0 ('${entry.spec.name}'): pm_id must be an integer from 0 to 2147483647, got 9007199254740991`);
    expect(await pmx.jlist()).toEqual([]);
  });

  it('past the highest id a dump may hold, a new process takes the lowest free id, so that the list saved is read back', async () => {
    const saved = readFileSync(backup, 'utf8');
    const valid = JSON.parse(saved);
    const entry = valid.processes[0];
    writeFileSync(dump, JSON.stringify({ ...valid, processes: [{ ...entry, pm_id: 2 ** 31 - 1 }] }));
    await pmx.ok(['resurrect']);
    await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', 'next']);
    expect((await pmx.jlist()).map((proc) => proc.pm_id).sort((a, b) => a - b)).toEqual([0, 2 ** 31 - 1]);
    await pmx.ok(['save']);
    await pmx.ok(['delete', 'all']);
    const again = await pmx.run(['resurrect']);
    expect(again.code, again.stderr).toBe(0);
    expect((await pmx.jlist()).map((proc) => proc.pm_id).sort((a, b) => a - b)).toEqual([0, 2 ** 31 - 1]);
    await pmx.ok(['delete', 'all']);
    // the files the later tests read, as they were
    writeFileSync(dump, saved);
    writeFileSync(backup, saved);
  });

  it('an env of the wrong shape is named by file, entry and key, never with its values (they hold secrets)', async () => {
    const valid = JSON.parse(readFileSync(backup, 'utf8'));
    const entry = valid.processes[0];
    const leaky = { ...entry, spec: { ...entry.spec, env: { ...entry.spec.env, API_TOKEN: ['tok-s3cr3t-value'] } } };
    writeFileSync(dump, JSON.stringify({ ...valid, processes: [leaky] }));
    const run = await pmx.run(['resurrect']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${dump}: entry 0 ('${entry.spec.name}'): spec.env must be string values without NUL characters ("API_TOKEN" is not one), got an object`);
    expect(`${run.stdout}${run.stderr}`).not.toContain('tok-s3cr3t-value');
    expect(await pmx.jlist()).toEqual([]);
  });

  it('a dump that is not JSON is named with where it breaks, never with the text around it; a variable name with = in it is cut at the =', async () => {
    const valid = JSON.parse(readFileSync(backup, 'utf8'));
    const entry = valid.processes[0];
    const text = JSON.stringify({ ...valid, processes: [{ ...entry, spec: { ...entry.spec, env: { ...entry.spec.env, API_TOKEN: 'tok-s3cr3t-value' } } }] });
    writeFileSync(dump, text.replace('"tok-s3cr3t-value"', 'tok-s3cr3t-value'));
    const torn = await pmx.run(['resurrect']);
    expect(torn.stderr).toMatch(/is torn or not JSON \(invalid JSON(, | at character \d+ of )\d+ characters?\)/);
    expect(`${torn.stdout}${torn.stderr}${readFileSync(join(pmx.home, 'agent.log'), 'utf8')}`).not.toContain('s3cr3t');
    await pmx.ok(['delete', 'all']);

    writeFileSync(dump, JSON.stringify({ ...valid, processes: [{ ...entry, spec: { ...entry.spec, env: { 'API_TOKEN=tok-s3cr3t-value': '' } } }] }));
    const named = await pmx.run(['resurrect']);
    expect(named.code).toBe(1);
    expect(named.stderr).toContain('variable names without \'=\' or NUL (got "API_TOKEN=...")');
    expect(`${named.stdout}${named.stderr}`).not.toContain('s3cr3t');
  });

  it('an entry that is not an object, or lacks its spec, is named too', async () => {
    writeFileSync(dump, JSON.stringify({ pmx_dump: 1, processes: [null] }));
    expect((await pmx.run(['resurrect'])).stderr).toContain(`${dump}: entry 0: the entry must be an object, got null`);
    writeFileSync(dump, JSON.stringify({ pmx_dump: 1, processes: [{ pm_id: 0, instance: 0, status: 'online' }] }));
    expect((await pmx.run(['resurrect'])).stderr).toContain(`${dump}: entry 0: spec must be an object, got nothing`);
    expect(await pmx.jlist()).toEqual([]);
  });

  it('neither file usable: an error naming both', async () => {
    writeFileSync(dump, TORN);
    writeFileSync(backup, 'not json');
    const run = await pmx.run(['resurrect']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no usable dump: ${dump} is torn or not JSON`);
    expect(run.stderr).toContain(`and ${backup} is torn or not JSON`);
  });

  it("PM2's dump.pm2 copied in is named as PM2's, with the command that reads it; a dump of a newer pmx's format is refused, not read as this one's", async () => {
    writeFileSync(backup, 'not json');
    writeFileSync(dump, JSON.stringify([{ name: 'api', pm_id: 0, pm2_env: { status: 'online' } }]));
    const pm2 = await pmx.run(['resurrect']);
    expect(pm2.code).toBe(1);
    expect(pm2.stderr).toContain(`${dump} is PM2's dump (a list of its processes), not a pmx dump: 'pmx import pm2' reads PM2's dump.pm2`);
    writeFileSync(dump, JSON.stringify({ pmx_dump: 99, processes: [] }));
    const newer = await pmx.run(['resurrect']);
    expect(newer.code).toBe(1);
    expect(newer.stderr).toContain(`${dump} is of format 99, which this pmx (format 1) does not read: saved by a newer pmx`);
    expect(await pmx.jlist()).toEqual([]);
  });
});
