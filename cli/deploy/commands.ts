// Pure builders of the shell commands a deploy runs on a host: layout, fetch, release, shared
// links, publish, cleanup, bookkeeping. Every configured value goes through quote().
import { posix } from 'node:path';
import { quote } from '../transport/quote.js';
import { heldValuesLines } from './secret-mask.js';
import { currentTarget, releaseDir, uploadFile, type RemotePaths } from './remote-paths.js';

const q = quote;

/** Runs `body` in the deploy path, failing when it does not exist. */
function inBase(paths: RemotePaths, body: string): string {
  return `cd ${q(paths.base)} && ${body}`;
}

/** One line per fact the check phase needs, as `key=value`; `secrets`: the secrets and env_file the host holds too, for the run's mask. */
export function probeCommand(paths: RemotePaths, secrets = false): string {
  const current = q(paths.current);
  return [
    'echo "home=$HOME"',
    'echo "node=$(command -v node 2>/dev/null)"',
    'echo "node_version=$(node --version 2>/dev/null)"',
    'echo "git=$(command -v git 2>/dev/null)"',
    'echo "tar=$(command -v tar 2>/dev/null)"',
    'echo "flock=$(command -v flock 2>/dev/null)"',
    'echo "timeout=$(command -v timeout 2>/dev/null)"',
    `if test -d ${q(paths.releases)}; then echo releases=1; fi`,
    `if test -L ${current}; then echo "current=$(readlink ${current})"; elif test -e ${current}; then echo current_not_link=1; fi`,
    `if test -d ${q(paths.pm2Source)}; then echo pm2_source=1; fi`,
    'echo "bundle=$(cat "$HOME/.pmx/bundle.sha256" 2>/dev/null)"',
    ...(secrets ? heldValuesLines(paths.secretsFile, paths.envFile) : []),
  ].join('; ');
}

/** The directories of a deploy path (idempotent; PM2's `source` and `current` are left alone); pmx's own files private. */
export function layoutCommand(paths: RemotePaths): string {
  const dirs = [paths.releases, paths.shared, posix.join(paths.shared, 'logs'), posix.join(paths.shared, 'pids'), paths.logs];
  const private_ = `chmod 700 ${q(paths.meta)} ${q(paths.logs)} && { test ! -e ${q(paths.revisions)} || chmod 600 ${q(paths.revisions)}; }`;
  return `mkdir -p ${dirs.map(q).join(' ')} && ${private_} && find ${q(paths.logs)} -type f -exec chmod 600 {} +`;
}

/** Clones the repository into `repo/` as a mirror, or updates the mirror (and its origin URL). */
export function gitMirrorCommand(paths: RemotePaths, repo: string, fast: boolean): string {
  const mirror = q(paths.repo);
  const depth = fast ? ' --depth 1' : '';
  const update = `git -C ${mirror} remote set-url origin ${q(repo)} && git -C ${mirror} fetch --prune --quiet${depth} origin`;
  const clone = `rm -rf ${mirror} && git clone --mirror --quiet${depth} ${q(repo)} ${mirror}`;
  return `if test -d ${mirror}/objects; then ${update}; else ${clone}; fi`;
}

/** Prints `sha=<commit>` for a ref of the mirror (`origin/main` is read as `main` there), or fails naming it. */
export function gitResolveCommand(paths: RemotePaths, ref: string): string {
  const candidates = [...new Set([ref, ref.replace(/^origin\//, '')])].map((candidate) => q(`${candidate}^{commit}`));
  return (
    `for __ref in ${candidates.join(' ')}; do ` +
    `if __sha=$(git -C ${q(paths.repo)} rev-parse --verify --quiet "$__ref"); then echo "sha=$__sha"; exit 0; fi; done; ` +
    `echo ${q(`the ref '${ref}' is not in the repository`)} >&2; exit 3`
  );
}

/** Fetch for the git strategy: update the mirror, then resolve the ref. */
export function gitFetchCommand(paths: RemotePaths, repo: string, ref: string, fast: boolean): string {
  return `${gitMirrorCommand(paths, repo, fast)} && { ${gitResolveCommand(paths, ref)}; }`;
}

/** The exit code of a create command that found the release there already (see releaseNotThere). */
export const RELEASE_EXISTS = 73;

/**
 * Exits RELEASE_EXISTS when the release directory exists: another run named its release the same
 * (two runs in one millisecond, a clock set back), and what it made is not this run's to remove.
 */
function releaseNotThere(dir: string): string {
  return `if test -e ${dir}; then exit ${RELEASE_EXISTS}; fi`;
}

/** Exports a commit of the mirror into a new release directory. */
export function gitExportCommand(paths: RemotePaths, release: string, sha: string): string {
  const dir = q(releaseDir(paths, release));
  return `${releaseNotThere(dir)}; mkdir ${dir} && git -C ${q(paths.repo)} archive --format=tar ${q(sha)} | tar -x -f - -C ${dir} && ${revisionFile(dir, sha)}`;
}

/** Receives an archive on stdin (older uploads, left by a cut connection, go first). */
export function receiveUploadCommand(paths: RemotePaths, release: string): string {
  const file = uploadFile(paths, release);
  const meta = q(paths.meta);
  return `mkdir -p ${meta} && rm -f ${meta}/upload-*.tar ${meta}/upload-*.tar.partial && cat > ${q(`${file}.partial`)} && mv -f ${q(`${file}.partial`)} ${q(file)}`;
}

/** Unpacks an uploaded archive into a new release directory. */
export function extractUploadCommand(paths: RemotePaths, release: string, sha: string): string {
  const dir = q(releaseDir(paths, release));
  const file = q(uploadFile(paths, release));
  return `${releaseNotThere(dir)}; mkdir ${dir} && tar -x -f ${file} -C ${dir} && rm -f ${file} && ${revisionFile(dir, sha)}`;
}

function revisionFile(dir: string, sha: string): string {
  return `printf '%s\\n' ${q(sha)} > ${dir}/REVISION`;
}

/** Links `shared/<x>` into the release for each shared dir and file (a missing file is seeded from the release, or fails). */
export function linkSharedCommand(paths: RemotePaths, release: string, dirs: string[], files: string[]): string {
  const dir = releaseDir(paths, release);
  const steps: string[] = [];
  for (const item of dirs) {
    const shared = posix.join(paths.shared, item);
    const inRelease = posix.join(dir, item);
    steps.push(`mkdir -p ${q(shared)} ${q(posix.dirname(inRelease))} && rm -rf ${q(inRelease)} && ln -s ${q(shared)} ${q(inRelease)}`);
  }
  for (const item of files) {
    const shared = posix.join(paths.shared, item);
    const inRelease = posix.join(dir, item);
    const missing = `echo ${q(`shared file ${shared} does not exist and the release has no ${item} to start it from: create it on the host`)} >&2; exit 4`;
    steps.push(
      `mkdir -p ${q(posix.dirname(shared))} ${q(posix.dirname(inRelease))} && ` +
        `{ test -e ${q(shared)} || { if test -f ${q(inRelease)}; then cp -p ${q(inRelease)} ${q(shared)}; else ${missing}; fi; }; } && ` +
        `rm -rf ${q(inRelease)} && ln -s ${q(shared)} ${q(inRelease)}`,
    );
  }
  return steps.length === 0 ? 'true' : steps.join(' && ');
}

/** Points `current` at a release atomically: a new link renamed over the old one. */
export function publishCommand(paths: RemotePaths, release: string): string {
  const temp = q(`${paths.current}.pmx-new`);
  return inBase(paths, `test -d ${q(releaseDir(paths, release))} && rm -f ${temp} && ln -s ${q(currentTarget(release))} ${temp} && mv -T -f ${temp} ${q(paths.current)}`);
}

/** Removes `current` when it points at `release` (a first deploy going back: there was no current before). */
export function unpublishCommand(paths: RemotePaths, release: string): string {
  return inBase(paths, `if test "$(readlink current 2>/dev/null)" = ${q(currentTarget(release))}; then rm -f current; fi`);
}

/** Removes a release pmx created (and its upload), refusing the one `current` points at. */
export function removeReleaseCommand(paths: RemotePaths, release: string): string {
  const file = uploadFile(paths, release);
  return inBase(paths, `${notCurrent(release)} && rm -rf ${q(releaseDir(paths, release))} ${q(file)} ${q(`${file}.partial`)}`);
}

/** Removes old releases (names chosen by prune()), never the one `current` points at. */
export function pruneCommand(paths: RemotePaths, releases: string[]): string {
  if (releases.length === 0) return 'true';
  return inBase(paths, releases.map((release) => `{ ${notCurrent(release)} && rm -rf ${q(releaseDir(paths, release))}; }`).join(' && '));
}

function notCurrent(release: string): string {
  const link = q(currentTarget(release));
  return `{ test "$(readlink current 2>/dev/null)" != ${link} || { echo ${q(`refusing to remove ${release}: current points at it`)} >&2; exit 5; }; }`;
}

/** Appends JSON lines to the revisions log (the ledger), readable by the deploy user only. */
export function appendRevisionCommand(paths: RemotePaths, ...lines: string[]): string {
  const log = q(paths.revisions);
  return `mkdir -p ${q(paths.meta)} && ( umask 077 && printf '%s\\n' ${lines.map(q).join(' ')} >> ${log} ) && chmod 600 ${log}`;
}

/** Section markers of stateCommand's output. */
export const STATE_SECTIONS = ['@current', '@current-revision', '@releases', '@revisions', '@pm2-deploys', '@pm2-source'] as const;

/** Prints what `list`, `curr`, `prev` and `revert` read: the current link, release dirs, revisions, PM2's history. */
export function stateCommand(paths: RemotePaths): string {
  const [current, revision, releases, revisions, deploys, source] = STATE_SECTIONS;
  return [
    `echo ${current}`,
    `readlink ${q(paths.current)} 2>/dev/null`,
    `echo ${revision}`,
    `cat ${q(`${paths.current}/REVISION`)} 2>/dev/null`,
    `echo ${releases}`,
    `ls -1 ${q(paths.releases)} 2>/dev/null`,
    `echo ${revisions}`,
    `cat ${q(paths.revisions)} 2>/dev/null`,
    `echo ${deploys}`,
    `cat ${q(paths.pm2Deploys)} 2>/dev/null`,
    `echo ${source}`,
    `if test -d ${q(paths.pm2Source)}; then git -C ${q(paths.pm2Source)} rev-parse HEAD 2>/dev/null || echo unknown; fi`,
    'true',
  ].join('; ');
}

/** Splits stateCommand's output into its sections' lines. */
export function parseState(stdout: string): Record<(typeof STATE_SECTIONS)[number], string[]> {
  const sections = Object.fromEntries(STATE_SECTIONS.map((name) => [name, [] as string[]])) as Record<(typeof STATE_SECTIONS)[number], string[]>;
  let into: string[] | null = null;
  for (const line of stdout.split('\n')) {
    if ((STATE_SECTIONS as readonly string[]).includes(line)) into = sections[line as (typeof STATE_SECTIONS)[number]];
    else if (into && line.trim() !== '') into.push(line);
  }
  return sections;
}

/** `key=value` lines into an object (the probe's answer). */
export function parseKeyValues(stdout: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return values;
}
