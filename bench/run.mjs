// `npm run bench`: every benchmark (or those named: core, reload, logs), pmx and PM2 side by side.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR } from './lib/common.mjs';
import { coreBench } from './core.mjs';
import { reloadBench } from './reload.mjs';
import { logsBench } from './logs.mjs';

const all = { core: coreBench, reload: reloadBench, logs: logsBench };
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(all);
const results = {};
for (const name of names) {
  if (!all[name]) throw new Error(`unknown benchmark '${name}' (known: ${Object.keys(all).join(', ')})`);
  results[name] = await all[name]();
}
mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
writeFileSync(join(BENCH_DIR, 'results', 'latest.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
