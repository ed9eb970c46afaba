// Rotation in a folder another user may write (sticky, as /tmp): rotated names are predictable from
// date_format, so that user can plant `<name>__<date>.log.gz` links to a file of root's before the
// rotation, or leave files of theirs that look like rotated ones. A rotation takes a name whose .gz
// is not there, compression never writes through a link or over a file pmx did not make, and
// pruning removes only the agent's own rotated files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { formatDate } from '../../../agent/logs/timestamp.js';
import { OtherUser, cleanUpAfter } from './other-user.js';

const user = OtherUser.create();
const base = mkdtempSync(join(tmpdir(), 'pmx-foreign-rotation-'));
const shared = join(base, 'shared');
/** A file of root's that the planted links point at. */
const precious = join(base, 'precious');
const pmx = new PmxSandbox();
const DATE_FORMAT = 'YYYY-MM-DD_HH-mm';

function asUser(argv: string[]): void {
  const [command, ...args] = user.argv(argv);
  const result = spawnSync(command!, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} as ${user.name}: ${result.stderr}`);
}

beforeAll(() => {
  chmodSync(base, 0o755);
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  writeFileSync(precious, 'IMPORTANT ROOT DATA\n', { mode: 0o600 });
  // a link for every name the rotations of the next minutes may take: rot__<date>[.n].log.gz
  const links: string[] = [];
  for (let minute = 0; minute < 3; minute++) {
    const stamp = formatDate(new Date(Date.now() + minute * 60_000), DATE_FORMAT);
    for (const suffix of ['', ...Array.from({ length: 12 }, (_, n) => `.${n + 2}`)]) links.push(join(shared, `rot__${stamp}${suffix}.log.gz`));
  }
  for (const link of links) asUser(['ln', '-s', precious, link]);
  // files of the other user's beside the log: one named as a rotation of long ago, one not
  asUser(['touch', '-d', '2020-01-01', join(shared, 'rot__2020-01-01_00-00.log'), join(shared, 'rot__notes.log')]);
});

afterAll(() => cleanUpAfter(pmx, user, base));

describe('rotation with compress and retain in a folder another user may write', () => {
  it('rotates past the links planted at its names, never writing a .gz through one, and prunes only its own rotated files', async () => {
    const config = join(pmx.dir, 'rot.config.js');
    const app = { name: 'rot', script: join(FIXTURES, 'apps/writer.js'), out_file: join(shared, 'rot.log'), log_rotate: { max_size: '10K', retain: 1, compress: true, date_format: DATE_FORMAT }, env: { COUNT: '400', WIDTH: '100', TAG: 'r' } };
    writeFileSync(config, `module.exports = { apps: [${JSON.stringify(app)}] };`);
    await pmx.ok(['start', config]);
    // numbered past the planted names: compressed into a .gz of root's, not through a link
    const gz = await eventually('a compressed rotation', () => readdirSync(shared).find((name) => /^rot__.*\.log\.gz$/.test(name) && lstatSync(join(shared, name)).uid === 0), 20_000);
    expect(lstatSync(join(shared, gz)).isFile()).toBe(true);
    // the prune after that rotation has run (it follows the compression at once): older, but not root's, they stay
    expect(readFileSync(precious, 'utf8')).toBe('IMPORTANT ROOT DATA\n');
    expect(existsSync(join(shared, 'rot__2020-01-01_00-00.log'))).toBe(true);
    expect(existsSync(join(shared, 'rot__notes.log'))).toBe(true);
  });
});
