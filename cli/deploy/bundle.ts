// The pmx bundle on hosts: one file, ~/.pmx/pmx.cjs (the CLI and the agent, run by the host's
// node), its hash in ~/.pmx/bundle.sha256, a launcher ~/.pmx/bin/pmx and a PATH line at the top
// of ~/.bashrc, so hooks can run `pmx ...` on a host that never ran `npm i -g`.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { quote } from '../transport/quote.js';
import { AGENT_FILES } from './remote-paths.js';

/** The bundle built by scripts/build-bundle.mjs. */
export interface LocalBundle {
  file: string;
  sha256: string;
  bytes: number;
}

/** Marks the lines pmx puts in ~/.bashrc: whole enough not to match another tool's '# >>> pmx...' line. */
export const BASHRC_MARKER = '# >>> pmx: the pmx launcher on PATH';

/** The bundle in dist/ (or PMX_BUNDLE_FILE), hashed; null when it was not built. */
export function findBundle(env: Record<string, string | undefined> = process.env): LocalBundle | null {
  // dist/cli/deploy/bundle.js -> dist/pmx.cjs; from the sources (tests) cli/deploy/bundle.ts -> dist/pmx.cjs
  const candidates = env.PMX_BUNDLE_FILE ? [env.PMX_BUNDLE_FILE] : ['../../pmx.cjs', '../../dist/pmx.cjs'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
  const file = candidates.find((path) => existsSync(path));
  if (!file) return null;
  const content = readFileSync(file);
  return { file, sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length };
}

/** The launcher: the host's node (on PATH, else the one found at install) running the bundle beside it. */
export function launcherScript(nodePath: string): string {
  return [
    '#!/bin/sh',
    '# pmx launcher, written by `pmx deploy <env> setup`: the pmx bundle run by this host\'s node',
    `node=$(command -v node 2>/dev/null) || node=${quote(nodePath || '/usr/bin/node')}`,
    // no dirname: a PATH that names no system directory (a deploy `env` may set one) must not break pmx
    'exec "$node" "${0%/*}/../pmx.cjs" "$@"',
    '',
  ].join('\n');
}

/** The lines put first in ~/.bashrc: Debian's returns early for non-interactive shells (ssh host cmd). */
export function bashrcLines(): string[] {
  return [
    `${BASHRC_MARKER}, for \`ssh host cmd\` too (keep above the interactive guard)`,
    'case ":$PATH:" in *":$HOME/.pmx/bin:"*) ;; *) export PATH="$HOME/.pmx/bin:$PATH" ;; esac',
    '# <<< pmx',
  ];
}

/** How long an install waits for another one on the host (two deploys to other paths of one user, say) to end. */
const INSTALL_LOCK_WAIT_S = 120;

/**
 * Receives the bundle on stdin, checks its size (and its sha256 where the host has sha256sum),
 * installs it atomically with its hash, the launcher and the PATH line. One install at a time per
 * user: the shell holds ~/.pmx/install.lock (flock, where the host has it) to its end, the agent's
 * restart after it included, so two deploys that upgrade the same user's pmx at once no longer
 * write the same temporary files and fail ("arrived incomplete", "cannot stat").
 */
export function installBundleCommand(bundle: Pick<LocalBundle, 'sha256' | 'bytes'>, nodePath: string): string {
  const { dir, bin, bundle: file, hash, launcher, bashrc } = AGENT_FILES;
  const temp = '"$HOME/.pmx/pmx.cjs.pmx-new"';
  const launcherTemp = '"$HOME/.pmx/bin/pmx.pmx-new"';
  const bashrcTemp = '"$HOME/.bashrc.pmx-new"';
  const lines = bashrcLines().map(quote).join(' ');
  const incomplete = (why: string): string => `{ echo "the bundle arrived incomplete (${why})" >&2; rm -f ${temp}; exit 6; }`;
  return [
    `mkdir -p ${bin} && chmod 700 ${dir}`,
    `{ exec 9>>"$HOME/.pmx/install.lock"; ! command -v flock >/dev/null 2>&1 || flock -w ${INSTALL_LOCK_WAIT_S} 9 || { echo "another pmx install on this host held ~/.pmx/install.lock for ${INSTALL_LOCK_WAIT_S} s" >&2; exit 6; }; }`,
    `cat > ${temp}`,
    `{ test "$(wc -c < ${temp})" -eq ${bundle.bytes} || ${incomplete(`$(wc -c < ${temp}) of ${bundle.bytes} bytes`)}; }`,
    `{ ! command -v sha256sum >/dev/null 2>&1 || test "$(sha256sum < ${temp} | cut -d ' ' -f 1)" = ${quote(bundle.sha256)} || ${incomplete('its sha256 differs')}; }`,
    `mv -f ${temp} ${file}`,
    `printf '%s\\n' ${quote(bundle.sha256)} > ${hash}`,
    `printf '%s' ${quote(launcherScript(nodePath))} > ${launcherTemp} && chmod 755 ${launcherTemp} && mv -f ${launcherTemp} ${launcher}`,
    `{ grep -qF ${quote(BASHRC_MARKER)} ${bashrc} 2>/dev/null || { { printf '%s\\n' ${lines}; cat ${bashrc} 2>/dev/null || :; } > ${bashrcTemp} && mv -f ${bashrcTemp} ${bashrc}; }; }`,
  ].join(' && ');
}

/** After an upgrade: an agent that no longer answers this pmx (another protocol) is restarted with it, keeping its processes. */
export function restartStaleAgentCommand(): string {
  return `if test -S "$HOME/.pmx/agent.sock"; then pmx ping >/dev/null 2>&1 || pmx update; fi`;
}

/** The exit status of installAndRestartCommand when the bundle is in place but restarting the running agent with it failed. */
export const RESTART_FAILED = 97;

/** Both in one command (one round trip): the restart runs only after the install succeeded; exit RESTART_FAILED if it fails. */
export function installAndRestartCommand(bundle: Pick<LocalBundle, 'sha256' | 'bytes'>, nodePath: string): string {
  // the install's lock (fd 9) is not handed down: an agent started by `pmx update` would hold it for its whole life
  return `{ ${installBundleCommand(bundle, nodePath)}; } || exit $?; { ${restartStaleAgentCommand()}; } 9>&- || exit ${RESTART_FAILED}`;
}
