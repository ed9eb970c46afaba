// Files written for one test in a fresh temporary directory, removed when the test finishes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A fresh directory, removed after the current test. */
export function tmpDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pmx-ecosystem-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path -> content) into a fresh directory and returns it. */
export function tmpFiles(files: Record<string, string>, modes: Record<string, number> = {}): string {
  const dir = tmpDir();
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content, { mode: modes[name] ?? 0o644 });
  }
  return dir;
}

/** One file in a fresh directory; returns its path. */
export function tmpFile(name: string, content: string): string {
  return join(tmpFiles({ [name]: content }), name);
}
