// The deploy command builders, as strings and as real sh runs in a temporary deploy path.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendRevisionCommand,
  extractUploadCommand,
  gitExportCommand,
  gitFetchCommand,
  layoutCommand,
  linkSharedCommand,
  parseKeyValues,
  probeCommand,
  publishCommand,
  pruneCommand,
  receiveUploadCommand,
  removeReleaseCommand,
  stateCommand,
} from '../../../cli/deploy/commands.js';
import { remotePaths } from '../../../cli/deploy/remote-paths.js';
import { readHistory } from '../../../cli/deploy/revisions.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-deploy-commands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(command: string, input?: string | Buffer): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('sh', ['-c', command], { input, encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

let count = 0;
function freshBase(): ReturnType<typeof remotePaths> {
  const base = join(dir, `app ${++count} 'quoted'`);
  const paths = remotePaths(base);
  expect(sh(`mkdir -p '${base.replace(/'/g, `'\\''`)}' && ${layoutCommand(paths)}`).code).toBe(0);
  return paths;
}

describe('deploy command builders', () => {
  it('quote every configured path, so a path with spaces and quotes still works', () => {
    const paths = remotePaths("/srv/my app/it's");
    expect(layoutCommand(paths)).toContain("'/srv/my app/it'\\''s/releases'");
    expect(publishCommand(paths, '20250102T030405123Z-abcdef1')).toContain("cd '/srv/my app/it'\\''s'");
  });

  it('publish points current at a release through a rename, replacing the old link', () => {
    const paths = freshBase();
    mkdirSync(join(paths.releases, 'r1'));
    mkdirSync(join(paths.releases, 'r2'));
    expect(sh(publishCommand(paths, 'r1')).code).toBe(0);
    expect(readlinkSync(paths.current)).toBe('releases/r1');
    expect(sh(publishCommand(paths, 'r2')).code).toBe(0);
    expect(readlinkSync(paths.current)).toBe('releases/r2');
    expect(existsSync(`${paths.current}.pmx-new`)).toBe(false);
  });

  it('publish refuses a release that does not exist and leaves current alone', () => {
    const paths = freshBase();
    mkdirSync(join(paths.releases, 'r1'));
    sh(publishCommand(paths, 'r1'));
    expect(sh(publishCommand(paths, 'missing')).code).not.toBe(0);
    expect(readlinkSync(paths.current)).toBe('releases/r1');
  });

  it('publish takes over a PM2 path: current -> source becomes current -> releases/x', () => {
    const paths = freshBase();
    mkdirSync(paths.pm2Source);
    symlinkSync(paths.pm2Source, paths.current);
    mkdirSync(join(paths.releases, 'r1'));
    expect(sh(publishCommand(paths, 'r1')).code).toBe(0);
    expect(readlinkSync(paths.current)).toBe('releases/r1');
    expect(sh(publishCommand(paths, 'source')).code).toBe(0);
    expect(readlinkSync(paths.current)).toBe('source');
  });

  it('removing a release refuses the one current points at', () => {
    const paths = freshBase();
    mkdirSync(join(paths.releases, 'r1'));
    mkdirSync(join(paths.releases, 'r2'));
    sh(publishCommand(paths, 'r1'));
    const refused = sh(removeReleaseCommand(paths, 'r1'));
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('current points at it');
    expect(existsSync(join(paths.releases, 'r1'))).toBe(true);
    expect(sh(removeReleaseCommand(paths, 'r2')).code).toBe(0);
    expect(existsSync(join(paths.releases, 'r2'))).toBe(false);
    expect(sh(pruneCommand(paths, ['r1'])).code).toBe(5);
  });

  it('an upload arrives as .partial and is renamed once complete, then unpacks into the release', () => {
    const paths = freshBase();
    const src = join(dir, `src-${count}`);
    mkdirSync(src);
    writeFileSync(join(src, 'index.js'), 'v1');
    const tar = execFileSync('tar', ['-c', '-f', '-', '-C', src, '.']);
    writeFileSync(join(paths.meta, 'upload-old.tar.partial'), 'left by a cut connection');
    expect(sh(receiveUploadCommand(paths, 'r1'), tar).code).toBe(0);
    expect(existsSync(join(paths.meta, 'upload-old.tar.partial'))).toBe(false);
    expect(sh(extractUploadCommand(paths, 'r1', 'abcdef0123')).code).toBe(0);
    expect(readFileSync(join(paths.releases, 'r1', 'index.js'), 'utf8')).toBe('v1');
    expect(readFileSync(join(paths.releases, 'r1', 'REVISION'), 'utf8')).toBe('abcdef0123\n');
    expect(existsSync(join(paths.meta, 'upload-r1.tar'))).toBe(false);
    expect(sh(extractUploadCommand(paths, 'r1', 'abcdef0123')).code).not.toBe(0); // never into an existing release
  });

  it('the git strategy mirrors the repository, resolves origin/<branch> and exports the commit', () => {
    const paths = freshBase();
    const work = join(dir, `work-${count}`);
    const bare = join(dir, `bare-${count}.git`);
    execFileSync('sh', ['-c', `git init -q -b main '${work}' && cd '${work}' && echo v1 > app.txt && git add . && git -c user.name=t -c user.email=t@t commit -qm v1 && git clone -q --bare . '${bare}'`]);
    const fetched = sh(gitFetchCommand(paths, `file://${bare}`, 'origin/main', false));
    expect(fetched.stderr).toBe('');
    const sha = parseKeyValues(fetched.stdout).sha!;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(sh(gitFetchCommand(paths, `file://${bare}`, 'main', false)).stdout).toContain(sha); // second run updates
    const missing = sh(gitFetchCommand(paths, `file://${bare}`, 'origin/nope', false));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("the ref 'origin/nope' is not in the repository");
    expect(sh(gitExportCommand(paths, 'r1', sha)).code).toBe(0);
    expect(readFileSync(join(paths.releases, 'r1', 'app.txt'), 'utf8')).toBe('v1\n');
  });

  it('shared dirs and files are linked into the release; a missing shared file is seeded from the release or named', () => {
    const paths = freshBase();
    const release = join(paths.releases, 'r1');
    mkdirSync(join(release, 'config'), { recursive: true });
    writeFileSync(join(release, 'config', 'app.env'), 'from release');
    mkdirSync(join(release, 'uploads'));
    expect(sh(linkSharedCommand(paths, 'r1', ['uploads', 'var/cache'], ['config/app.env'])).code).toBe(0);
    expect(lstatSync(join(release, 'uploads')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(release, 'var/cache'))).toBe(join(paths.shared, 'var/cache'));
    expect(readFileSync(join(paths.shared, 'config/app.env'), 'utf8')).toBe('from release');
    expect(readFileSync(join(release, 'config/app.env'), 'utf8')).toBe('from release');
    const missing = sh(linkSharedCommand(paths, 'r1', [], ['.env']));
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(`shared file ${join(paths.shared, '.env')} does not exist`);
  });

  it('the state command gives current, releases and revisions, read back as history', () => {
    const paths = freshBase();
    for (const name of ['20250101T000000000Z-aaaaaaa', '20250102T000000000Z-bbbbbbb', '20250103T000000000Z-ccccccc']) {
      mkdirSync(join(paths.releases, name));
      const line = JSON.stringify({ time: 't', action: 'deploy', release: name, ref: 'main', sha: name.slice(-7), user: 'me', result: name.endsWith('ccccccc') ? 'failed' : 'success', from: null });
      expect(sh(appendRevisionCommand(paths, line)).code).toBe(0);
    }
    sh(publishCommand(paths, '20250102T000000000Z-bbbbbbb'));
    const state = sh(stateCommand(paths));
    expect(state.code).toBe(0);
    const history = readHistory(state.stdout, paths);
    expect(history.current).toBe('20250102T000000000Z-bbbbbbb');
    expect(history.releases.map((r) => r.name)).toEqual(['20250101T000000000Z-aaaaaaa', '20250102T000000000Z-bbbbbbb']);
    expect(history.leftovers).toEqual(['20250103T000000000Z-ccccccc']);
  });

  it('the probe reports facts as key=value lines', () => {
    const paths = freshBase();
    const facts = parseKeyValues(sh(probeCommand(paths)).stdout);
    expect(facts.releases).toBe('1');
    expect(facts.node).toMatch(/node$/);
    expect(facts.current).toBeUndefined();
    expect(facts.tar).toMatch(/tar$/);
  });
});
