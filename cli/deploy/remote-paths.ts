// Every remote path of a deploy, computed in one place: the layout under the environment's
// `path`, release names, and where the pmx bundle lives in the deploy user's home.
import { posix } from 'node:path';

/** The directory PM2 deploys into (`current -> source`); pmx takes it over as a release of that name. */
export const PM2_SOURCE = 'source';

/** `<UTC yyyymmddThhmmssSSSZ>-<short sha>`: sorts by time, names the commit, unique per deploy. */
const RELEASE_NAME = /^(\d{8}T\d{9}Z)-([0-9a-f]{7,40})$/;

/** The layout under a deploy path. */
export interface RemotePaths {
  readonly base: string;
  readonly releases: string;
  readonly current: string;
  readonly shared: string;
  /** `env_file`'s copy (0600), linked into every release as `.env`. */
  readonly envFile: string;
  /** `secrets` as `NAME='value'` lines (0600): hooks source it; never linked into a release. */
  readonly secretsFile: string;
  readonly repo: string;
  /** pmx's own bookkeeping: revisions, lock, hook logs, uploads in flight. */
  readonly meta: string;
  readonly revisions: string;
  readonly lock: string;
  readonly lockOwner: string;
  /** Held shared by each command of the run that changes the host, for as long as it runs (lock.ts underRunLock). */
  readonly work: string;
  readonly logs: string;
  /** PM2's checkout and its deploy history, when PM2 deployed here before. */
  readonly pm2Source: string;
  readonly pm2Deploys: string;
}

/** The layout under `base` (an absolute remote path). */
export function remotePaths(base: string): RemotePaths {
  const root = posix.normalize(base).replace(/(.)\/+$/, '$1');
  const at = (...parts: string[]): string => posix.join(root, ...parts);
  return {
    base: root,
    releases: at('releases'),
    current: at('current'),
    shared: at('shared'),
    envFile: at('shared', '.env'),
    secretsFile: at('shared', '.secrets.env'),
    repo: at('repo'),
    meta: at('.pmx'),
    revisions: at('.pmx', 'revisions.log'),
    lock: at('.pmx', 'lock'),
    lockOwner: at('.pmx', 'lock.json'),
    work: at('.pmx', 'work'),
    logs: at('.pmx', 'logs'),
    pm2Source: at(PM2_SOURCE),
    pm2Deploys: at('.deploys'),
  };
}

/** The directory of a release (PM2's `source` for a taken-over path). */
export function releaseDir(paths: RemotePaths, release: string): string {
  return release === PM2_SOURCE ? paths.pm2Source : posix.join(paths.releases, release);
}

/** What `current` points at for a release, relative to the base (so the tree can move). */
export function currentTarget(release: string): string {
  return release === PM2_SOURCE ? PM2_SOURCE : `releases/${release}`;
}

/** The release a `current` link target names (`releases/x`, an absolute path, or `source`), or null. */
export function releaseFromLink(paths: RemotePaths, link: string): string | null {
  const trimmed = link.trim().replace(/\/+$/, '');
  if (trimmed === '') return null;
  const absolute = posix.isAbsolute(trimmed) ? posix.normalize(trimmed) : posix.join(paths.base, trimmed);
  if (absolute === paths.pm2Source) return PM2_SOURCE;
  if (posix.dirname(absolute) === paths.releases) return posix.basename(absolute);
  return null;
}

/** The name of a new release deployed at `at` from commit `sha`. */
export function releaseName(at: Date, sha: string): string {
  return `${releaseStamp(at)}-${sha.slice(0, 7)}`;
}

/** The UTC time part of release names, `20250102T030405123Z`. */
export function releaseStamp(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}

/** True for names pmx gives releases (cleanup skips anything else). */
export function isReleaseName(name: string): boolean {
  return RELEASE_NAME.test(name);
}

/** Where an uploaded archive is written (the `.partial` while it arrives). */
export function uploadFile(paths: RemotePaths, release: string): string {
  return posix.join(paths.meta, `upload-${release}.tar`);
}

/** The log of a release's hooks (or of a command such as `setup`). */
export function hookLog(paths: RemotePaths, name: string): string {
  return posix.join(paths.logs, `${name}.log`);
}

/** The pmx bundle in the deploy user's home, as shell words that expand `$HOME` on the host. */
export const AGENT_FILES = {
  dir: '"$HOME/.pmx"',
  bin: '"$HOME/.pmx/bin"',
  bundle: '"$HOME/.pmx/pmx.cjs"',
  hash: '"$HOME/.pmx/bundle.sha256"',
  launcher: '"$HOME/.pmx/bin/pmx"',
  bashrc: '"$HOME/.bashrc"',
} as const;
