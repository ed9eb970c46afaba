// Recognising ecosystem files by name, and finding one in a directory as PM2 does.
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

/** How a file's content is read. */
export type EcosystemFormat = 'json' | 'yaml' | 'js' | 'mjs';

/** PM2's default names, in the order they are looked for (`pmx start` and `pmx deploy` without a file). */
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

/** PM2's `knonwConfigFileExtensions`, checked in this order as substrings of the name. */
const PM2_MARKERS: [string, EcosystemFormat][] = [
  ['.json', 'json'],
  ['.yml', 'yaml'],
  ['.yaml', 'yaml'],
  ['.config.js', 'js'],
  ['.config.cjs', 'js'],
  ['.config.mjs', 'mjs'],
];

/** True when a path names an ecosystem file rather than a script (PM2's rule: by its name only). */
export function isEcosystemFile(path: string): boolean {
  const name = basename(path);
  return PM2_MARKERS.some(([marker]) => name.includes(marker));
}

/** How to read a file: by its extension first, else by PM2's name rule; anything else is a module. */
export function formatOf(path: string): EcosystemFormat {
  switch (extname(path).toLowerCase()) {
    case '.json':
    case '.json5':
      return 'json';
    case '.yaml':
    case '.yml':
      return 'yaml';
    case '.mjs':
      return 'mjs';
    case '.js':
    case '.cjs':
      return 'js';
  }
  const name = basename(path);
  return PM2_MARKERS.find(([marker]) => name.includes(marker))?.[1] ?? 'js';
}

/** The first default ecosystem file present in `dir`, or null. */
export function findEcosystemFile(dir: string): string | null {
  for (const name of DEFAULT_FILES) {
    const path = join(dir, name);
    if (existsSync(path) && statSync(path).isFile()) return path;
  }
  return null;
}
