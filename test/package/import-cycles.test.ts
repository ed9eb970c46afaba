// The sources import one way: scripts/check-cycles.mjs finds no cycle among cli/ and agent/ and no
// import against the layers (agent/ never imports cli/; cli/transport/ imports only itself and
// agent/protocol/ leaves), and it does find each (type-only and dynamic imports included) in a small
// tree made to have them.
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
    expect(stdout).toMatch(/^no wrong-way import$/m);
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
    expect(stdout).not.toMatch(/^ {2}agent\/d\.ts ->/m); // not a member of the cycle (its import of cli/ is a wrong-way one)
  });

  it('cli/transport/ importing anything above it, or agent/ importing cli/, fails the check', async () => {
    const root = tree({
      'agent/protocol/errors.ts': 'export class PmxError extends Error {}\n',
      'agent/protocol/types.ts': "import type { State } from '../process/states.js';\nexport type Status = State;\n",
      'agent/process/states.ts': "export type State = 'online';\nexport const later = () => import('../../cli/deploy/types.js');\n",
      'cli/deploy/types.ts': 'export interface Environment { hosts: string[] }\n',
      'cli/output/errors.ts': 'export const errorLine = (error: unknown): string => String(error);\n',
      'cli/transport/quote.ts': 'export const quote = (word: string): string => word;\n',
      'cli/transport/ssh.ts': [
        "import { Socket } from 'node:net';",
        "import { Client } from 'ssh2';",
        "import { PmxError } from '../../agent/protocol/errors.js';",
        "import type { Status } from '../../agent/protocol/types.js';",
        "import type { Environment } from '../deploy/types.js';",
        "import { errorLine } from '../output/errors.js';",
        "import { quote } from './quote.js';",
        'export const all = [Socket, Client, PmxError, errorLine, quote] as const;',
        'export type Both = [Status, Environment];',
        '',
      ].join('\n'),
    });
    const { code, stdout } = await check(root);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^no import cycle among \d+ modules$/m);
    const transportRule = 'cli/transport/ imports only cli/transport/ and agent/protocol/ leaves';
    expect(stdout).toContain(`wrong-way import (${transportRule}): cli/transport/ssh.ts -> cli/deploy/types.ts`);
    expect(stdout).toContain(`wrong-way import (${transportRule}): cli/transport/ssh.ts -> cli/output/errors.ts`);
    expect(stdout).toContain(`wrong-way import (${transportRule}): cli/transport/ssh.ts -> agent/protocol/types.ts`);
    expect(stdout).toContain('wrong-way import (agent/ never imports cli/): agent/process/states.ts -> cli/deploy/types.ts');
    expect(stdout).not.toContain('-> agent/protocol/errors.ts');
    expect(stdout).not.toContain('-> cli/transport/quote.ts');
    expect(stdout).toContain('4 wrong-way import(s)');
  });
});
