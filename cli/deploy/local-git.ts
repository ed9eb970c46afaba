// The local side of a deploy: PM2's local-changes check, and for the release strategy the commit
// resolved and archived once (git archive), to be sent to every host.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployStepError } from './run-error.js';

/** A commit archived as a tar file, uploaded as is to every host. */
export interface LocalArchive {
  file: string;
  sha: string;
  bytes: number;
  /** Removes the temporary file. */
  dispose(): void;
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

function git(dir: string, args: string[]): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException).code === 'number' ? Number((error as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** True when `dir` is inside a git work tree. */
export async function isWorkTree(dir: string): Promise<boolean> {
  const result = await git(dir, ['rev-parse', '--is-inside-work-tree']);
  return result.code === 0 && result.stdout.trim() === 'true';
}

/** Refuses uncommitted, staged or unpushed work, with PM2's wording (skipped outside a work tree). */
export async function checkLocalChanges(dir: string): Promise<void> {
  if (!(await isWorkTree(dir))) return;
  const refuse = (message: string): never => {
    throw new DeployStepError(`${message} (in ${dir})`, { code: 'LOCAL_CHANGES', hint: 'or deploy anyway with --force' });
  };
  if ((await git(dir, ['--no-pager', 'diff', '--exit-code', '--quiet'])).code !== 0) refuse('commit or stash your changes before deploying');
  if ((await git(dir, ['--no-pager', 'diff', '--exit-code', '--quiet', '--cached'])).code !== 0) refuse('commit your staged changes before deploying');
  const unpushed = await git(dir, ['rev-list', '@{upstream}..', '-n', '1']);
  if (unpushed.code === 0 && unpushed.stdout.trim() !== '') refuse('push your changes before deploying');
}

/** The full sha of a local ref (`origin/main`, a tag, a sha). */
export async function resolveLocalRef(dir: string, ref: string): Promise<string> {
  if (!(await isWorkTree(dir))) {
    throw new DeployStepError(`the release strategy archives the commit locally, but ${dir} is not in a git work tree`, { code: 'LOCAL_GIT', hint: "run pmx deploy from a clone of the repository, or use strategy: 'git'" });
  }
  const result = await git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (result.code !== 0) throw new DeployStepError(`the ref '${ref}' is not in the local repository ${dir}`, { code: 'LOCAL_GIT', hint: 'git fetch, or name an existing ref' });
  return result.stdout.trim();
}

/** Archives a commit into a temporary tar file (once per run, for every host). */
export async function archiveCommit(dir: string, sha: string): Promise<LocalArchive> {
  const temp = mkdtempSync(join(tmpdir(), 'pmx-release-'));
  const file = join(temp, `${sha}.tar`);
  const dispose = (): void => rmSync(temp, { recursive: true, force: true });
  try {
    const child = spawn('git', ['archive', '--format=tar', sha], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const out = createWriteStream(file);
    const written = new Promise<void>((resolve) => out.on('close', () => resolve()));
    child.stdout.pipe(out);
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => resolve(status ?? 1));
    });
    await written;
    if (code !== 0) throw new DeployStepError(`git archive ${sha} failed: ${stderr.trim()}`, { code: 'LOCAL_GIT' });
    return { file, sha, bytes: statSync(file).size, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
