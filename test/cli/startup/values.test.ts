// The values a hook is rendered with: the user from the user database, a minimal PATH, a stop
// timeout longer than any kill_timeout, and service names that are safe file names.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { minimalPath, packageRoot, pmxOnPath, stopTimeoutSec } from '../../../cli/startup/values.js';
import { lookupUser, parsePasswdLine, realUser } from '../../../cli/startup/users.js';
import { checkServiceName, parseInitSystem } from '../../../cli/startup/systems.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('users', () => {
  it('takes the user of the real uid from the user database, whatever $USER says', () => {
    const saved = process.env.USER;
    process.env.USER = 'somebody-else';
    try {
      const user = realUser();
      expect(user.uid).toBe(process.getuid!());
      expect(user).toEqual(lookupUser(String(process.getuid!())));
      expect(user.name).not.toBe('somebody-else');
    } finally {
      if (saved === undefined) delete process.env.USER;
      else process.env.USER = saved;
    }
  });

  it('parses passwd lines and finds no user that does not exist', () => {
    expect(parsePasswdLine('deploy:x:1001:1001:Deploy,,,:/home/deploy:/bin/bash')).toEqual({ name: 'deploy', uid: 1001, home: '/home/deploy' });
    expect(parsePasswdLine('garbage')).toBeNull();
    expect(lookupUser('no-such-user-pmx')).toBeNull();
  });
});

describe('PATH', () => {
  it("is node's directory, pmx's directory when a pmx on the caller's PATH is this one, and the system's", () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(join(packageRoot(), 'bin/pmx.cjs'), join(bin, 'pmx'));
    const callerPath = `/home/me/.cargo/bin:relative/dir:${bin}:/opt/junk/bin`;
    const pmxDir = pmxOnPath(callerPath, join(packageRoot(), 'bin/pmx.cjs'));
    expect(pmxDir).toBe(bin);
    expect(minimalPath('/opt/node/bin/node', pmxDir)).toBe(`/opt/node/bin:${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`);
    expect(pmxOnPath('/usr/bin:/opt/junk/bin', join(packageRoot(), 'bin/pmx.cjs'))).toBeNull();
    expect(minimalPath('/usr/bin/node', null)).toBe('/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin');
  });
});

describe('stop timeout', () => {
  it('outlasts the longest kill_timeout, with room for the agent', () => {
    expect(stopTimeoutSec(1600)).toBe(60);
    expect(stopTimeoutSec(120_000)).toBe(150);
  });
});

describe('names', () => {
  it('accepts init systems in any case and refuses others with the list', () => {
    expect(parseInitSystem('SystemD')).toBe('systemd');
    expect(() => parseInitSystem('runit')).toThrow(/unknown init system 'runit'/);
  });

  it('accepts service names that are safe file names only', () => {
    expect(checkServiceName('pmx-api_2@x.y')).toBe('pmx-api_2@x.y');
    for (const bad of ['../etc/passwd', 'a b', '-x', 'a/b', '']) expect(() => checkServiceName(bad)).toThrow(/--service-name/);
  });
});
