// What a watched app ignores of pmx's own writes: its log and pid files and their rotations, and
// pmx's home (its top files and its logs, pids, pipes and notify folders), but not an app that
// lives in another folder of that home.
import { describe, expect, it } from 'vitest';
import { ownedBy } from '../../../agent/watch/ignore.js';
import { resolveHome } from '../../../agent/protocol/home.js';

const home = resolveHome({ PMX_HOME: '/srv/pmx' });
const files = ['/srv/app/out.log', '/srv/app/app.pid'];

describe('ownedBy', () => {
  it("takes the app's files and their rotations as pmx's", () => {
    expect(ownedBy(files, home, '/srv/app/out.log')).toBe(true);
    expect(ownedBy(files, home, '/srv/app/out__2026-12-06_10-00-00.log')).toBe(true);
    expect(ownedBy(files, home, '/srv/app/out__2026-12-06_10-00-00.log.gz')).toBe(true);
    expect(ownedBy(files, home, '/srv/app/app.pid')).toBe(true);
    expect(ownedBy(files, home, '/srv/app/outcome.js')).toBe(false);
    expect(ownedBy(files, home, '/srv/app/index.js')).toBe(false);
  });

  it("takes pmx's home files and folders as pmx's, but not an app in another folder of the home", () => {
    for (const path of ['/srv/pmx/agent.log', '/srv/pmx/agent.state.tmp', '/srv/pmx/dump.pmx', '/srv/pmx/logs/api-out.log', '/srv/pmx/pids/api-0.pid', '/srv/pmx/pipes/3']) {
      expect(ownedBy(files, home, path), path).toBe(true);
    }
    expect(ownedBy(files, home, '/srv/pmx/apps/api/index.js')).toBe(false);
  });
});
