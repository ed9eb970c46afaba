// pmx from this repository (bin/pmx.cjs, which runs the built dist/), with its own PMX_HOME.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manager } from './manager.mjs';
import { ROOT } from './paths.mjs';

export const PMX_BIN = join(ROOT, 'bin', 'pmx.cjs');

export function pmx() {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return manager({ name: 'pmx', label: 'pmx', version, bin: PMX_BIN, homeVar: 'PMX_HOME', pidFile: 'agent.pid' });
}
