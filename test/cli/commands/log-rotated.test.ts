// The rotated files of a log as `pmx logs` finds them, while the agent compresses them: a file
// listed plain and compressed before it is opened is read from its .gz (it was told as removed,
// its lines skipped, in a CI run where the agent compressed 20 rotated files a second), and the
// file being read is known among them by its .gz once it is rotated and compressed.
import { afterAll, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressRotated } from '../../../agent/logs/compress.js';
import { DEFAULT_ROTATION } from '../../../agent/logs/log-file.js';
import { moveAside } from '../../../agent/logs/rotated-files.js';
import { contentOf, openRotated, rotatedBefore, rotatedFilesOf } from '../../../cli/commands/log-rotated.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-rotated-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a rotated file compressed between its listing and its opening', () => {
  it('is opened as its .gz and read whole', async () => {
    const log = join(mkdtempSync(join(dir, 'open-')), 'app-out.log');
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join('');
    writeFileSync(log, lines);
    const rotated = moveAside(log, DEFAULT_ROTATION.date_format, new Date())!;
    const [listed] = rotatedFilesOf(log, DEFAULT_ROTATION.date_format);
    expect(listed).toMatchObject({ path: rotated, gz: null });
    await compressRotated(rotated, 0o600, (message) => expect.fail(message));
    expect(readdirSync(join(log, '..'))).toEqual([`${rotated.slice(log.length - 'app-out.log'.length)}.gz`]);
    const opened = openRotated(listed!);
    expect(opened).toMatchObject({ compressed: true });
    expect(contentOf(opened!)?.toString()).toBe(lines);
  });
});

describe('the rotated files before the file being read', () => {
  it('leave out that file and those after it once it is rotated and compressed (all of them were taken, to be read again)', async () => {
    const log = join(mkdtempSync(join(dir, 'before-')), 'app-out.log');
    const { date_format: format } = DEFAULT_ROTATION;
    writeFileSync(log, 'first\n');
    const first = moveAside(log, format, new Date())!;
    writeFileSync(log, 'second\n');
    const fd = openSync(log, 'r');
    try {
      // the file being read rotated, compressed, and a third one rotated after it
      const second = moveAside(log, format, new Date())!;
      await compressRotated(second, 0o600, (message) => expect.fail(message));
      writeFileSync(log, 'third\n');
      moveAside(log, format, new Date());
      const listed = rotatedFilesOf(log, format);
      expect(listed.map((file) => [file.path, file.gz !== null])).toEqual([[first, false], [second, true], [expect.any(String), false]]);
      expect(rotatedBefore(listed, fd).map((file) => file.path)).toEqual([first]);
    } finally {
      closeSync(fd);
    }
  });
});
