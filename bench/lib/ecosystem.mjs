// Ecosystem files, for pmx and PM2 alike (PM2's CLI has no --min-uptime or --max-restarts:
// options go through files for both).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `<dir>/<name>.config.js` with these apps and returns its path. */
export function ecosystemFile(dir, name, apps) {
  const file = join(dir, `${name}.config.js`);
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps }, null, 2)};\n`);
  return file;
}

/** `count` apps named `${prefix}0..` running the same script with the same options. */
export const manyApps = (count, prefix, options) => Array.from({ length: count }, (_, i) => ({ name: `${prefix}${i}`, ...options }));
