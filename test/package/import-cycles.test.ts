// The sources import one way: scripts/check-cycles.mjs finds no cycle among cli/ and agent/, and it
// does find one (type-only and dynamic imports included) in a small tree made to have them.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'check-cycles.mjs');

async function check(root: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, root]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'pmx-cycles-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

describe('import cycles', () => {
  it('there is none among the sources', async () => {
    const { code, stdout } = await check(ROOT);
    expect(stdout).toMatch(/^no import cycle among \d+ modules$/m);
    expect(code).toBe(0);
  });

  it('a type-only import and a dynamic import() close a cycle all the same', async () => {
    const root = tree({
      'cli/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'cli/b.ts': "export type B = string;\nexport const load = () => import('../agent/c.js');\n",
      'agent/c.ts': "export { type A } from '../cli/a.js';\n",
      'agent/d.ts': "import { load } from '../cli/b.js';\nexport const d = load;\n",
    });
    const { code, stdout } = await check(root);
    expect(code).toBe(1);
    expect(stdout).toContain('import cycle among 3 modules:');
    expect(stdout).toContain('cli/a.ts -> cli/b.ts');
    expect(stdout).toContain('cli/b.ts -> agent/c.ts');
    expect(stdout).toContain('agent/c.ts -> cli/a.ts');
    expect(stdout).not.toContain('agent/d.ts ->');
  });
});
