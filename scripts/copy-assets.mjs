// After tsc: copy the plain CommonJS files the agent preloads into apps (tsc emits only .ts):
// the send shim and the metrics preload.
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const dir of ['agent/modes', 'agent/metrics']) {
  for (const name of readdirSync(join(root, dir)).filter((file) => file.endsWith('.cjs'))) {
    cpSync(join(root, dir, name), join(root, 'dist', dir, name));
  }
}
