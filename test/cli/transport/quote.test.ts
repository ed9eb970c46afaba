// The shell words pmx puts in remote commands, run by a real sh: a quoted value comes back as it
// is; in an env value only `$NAME` and `${NAME}` expand, as PM2's unquoted export lets them.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exportEnv, quote, quoteExpanding } from '../../../cli/transport/quote.js';

const sh = (script: string, env: Record<string, string> = {}): string => spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH!, ...env } }).stdout;

describe('quoting for the shell', () => {
  const awkward = [`it's "x" $HOME \`id\` $(id) * \\ \n end`, '', '$', '$1 $$ ${', 'a$'];

  it('quote gives every value back as it is', () => {
    for (const value of awkward) expect(sh(`printf '%s' ${quote(value)}`)).toBe(value);
  });

  it('quoteExpanding expands $NAME and ${NAME} (unset: empty) and nothing else', () => {
    expect(sh(`printf '%s' ${quoteExpanding('/opt/tools/bin:$PATH')}`, { PATH: '/usr/bin:/bin' })).toBe('/opt/tools/bin:/usr/bin:/bin');
    expect(sh(`printf '%s' ${quoteExpanding('${A}x$A-$UNSET.')}`, { A: 'a b*' })).toBe('a b*xa b*-.');
    for (const value of awkward.filter((v) => !/\$[A-Za-z_{]/.test(v))) expect(sh(`printf '%s' ${quoteExpanding(value)}`)).toBe(value);
    expect(sh(`printf '%s' ${quoteExpanding('`id` $(id) * $1 $$')}`)).toBe('`id` $(id) * $1 $$');
  });

  it('exportEnv expands only the names it is given', () => {
    const script = `${exportEnv({ P: '/opt:$PATH', Q: '/opt:$PATH' }, ['P'])} printf '%s|%s' "$P" "$Q"`;
    expect(sh(script, { PATH: '/bin' })).toBe('/opt:/bin|/opt:$PATH');
  });
});
