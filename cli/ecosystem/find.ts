// Recognising ecosystem files by name, and finding one in a directory as PM2 does.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

/** PM2's default names, in the order it looks for them. */
export const DEFAULT_FILES = [
  'ecosystem.config.js',
  'ecosystem.config.cjs',
  'ecosystem.config.mjs',
  'ecosystem.json',
  'ecosystem.yaml',
  'ecosystem.yml',
  'ecosystem.config.json',
  'ecosystem.config.yaml',
  'ecosystem.config.yml',
  'process.json',
];

/** True when a path names an ecosystem file rather than a script (PM2's rule: by its name). */
export function isEcosystemFile(path: string): boolean {
  const name = basename(path);
  return /\.(json|ya?ml)$/i.test(name) || /\.config\.[cm]?js$/i.test(name) || /^ecosystem.*\.[cm]?js$/i.test(name);
}

/** The first default ecosystem file present in `dir`, or null. */
export function findEcosystemFile(dir: string): string | null {
  for (const name of DEFAULT_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return null;
}
