// An in-memory deploy host for tests of the flow without sshd: the layout under the deploy path
// (release directories with their REVISION, `current`, the ledger, the lock, uploads) and the app
// the host's agent serves, changed by the commands pmx's builders write (recognised by what they
// do: `mv -T` over current, `rm -rf` of a release, `>>` to the ledger, ...). Hooks succeed (a
// test fails them by phase, see ScriptedFleet); the health check fails on a release whose sha the
// test put in `sick`. It models the host, not the flow: the flow under test
// decides what to run and in which order.
import { posix } from 'node:path';
import { formatRevision, type Revision } from '../../../cli/deploy/revisions.js';
import { HELD_CURRENT, LOCKED, PROBED, READ_DONE, REFUSED, SKIPPED } from '../../../cli/deploy/lock.js';
import { LIVE_MARKS } from '../../../cli/deploy/remote-live-types.js';

/** A command's end as the host reports it (what an SSH channel gives back). */
export interface Ended {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command the host refused: it ends with this exit code and stderr. */
class Exit extends Error {
  constructor(
    readonly code: number,
    readonly stderr: string,
  ) {
    super(stderr);
  }
}

/** One host: its files as the deploy path holds them. */
export class ScriptedHost {
  readonly base: string;
  /** releases/<name> -> the sha in its REVISION file. */
  readonly releases = new Map<string, string>();
  /** Where `current` points, as written (`releases/<name>`), or null when there is no link. */
  current: string | null = null;
  /** .pmx/revisions.log, one JSON line each. */
  readonly ledger: string[] = [];
  /** The host has `timeout` (coreutils): false for one without it. */
  hasTimeout = true;
  /** Who holds .pmx/lock (a connection id), or null. */
  lockedBy: number | null = null;
  /** The release whose code the host's agent runs: what `current` was when post-deploy last ran. */
  serving: string | null = null;
  /** The sha `git rev-parse` gives for the ref on this host (the origin's, unless a test moves it). */
  sha: string;
  /** Shas whose release fails the health check here (a test's /srv/unhealthy-<version>). */
  readonly sick = new Set<string>();
  /** sshd is gone: new connections are refused. */
  down = false;
  /** ~/.pmx/bundle.sha256. */
  bundle: string;

  constructor(
    readonly label: string,
    options: { base: string; sha: string; bundle: string },
  ) {
    this.base = options.base;
    this.sha = options.sha;
    this.bundle = options.bundle;
  }

  /** Releases a deploy made earlier: directories, success lines in the ledger, `current` and the agent on the last. */
  seed(releases: { name: string; sha: string }[]): void {
    for (const { name, sha } of releases) {
      this.releases.set(name, sha);
      this.ledger.push(formatRevision({ time: '2025-01-01T00:00:00.000Z', action: 'deploy', release: name, ref: 'origin/main', sha, user: 'seed@test', result: 'success', from: this.releaseOf(this.current) }));
      this.current = `releases/${name}`;
    }
    this.serving = this.releaseOf(this.current);
  }

  /** The release `current` points at, or null. */
  get currentRelease(): string | null {
    return this.releaseOf(this.current);
  }

  /** The ledger as revisions. */
  get revisions(): Revision[] {
    return this.ledger.map((line) => JSON.parse(line) as Revision);
  }

  /** Runs a command (not the lock's, see lockCommand) as the host's shell would, for what a deploy asks of it. */
  run(command: string, label: string): Ended {
    const ops = this.operations(command, label);
    if (ops.length === 0) return { code: 127, stdout: '', stderr: `scripted host ${this.label}: no model for the command of ${label}: ${command}` };
    let stdout = '';
    try {
      for (const op of ops.sort((a, b) => a.at - b.at)) stdout += op.apply();
      return { code: 0, stdout, stderr: '' };
    } catch (error) {
      if (error instanceof Exit) return { code: error.code, stdout, stderr: error.stderr };
      throw error;
    }
  }

  /** The lock's command: its first output, or a refusal; the caller holds the lock until the session's stdin closes. */
  lockCommand(command: string, holder: number): Ended {
    if (this.lockedBy !== null && this.lockedBy !== holder) return { code: 75, stdout: `${REFUSED}\n{"user":"other@test","pid":1,"command":"pmx deploy other","since":"2025-01-01T00:00:00.000Z"}\n`, stderr: '' };
    this.lockedBy = holder;
    const read = command.includes('echo @current') ? `${this.state()}${READ_DONE}\n` : '';
    return { code: 0, stdout: `${HELD_CURRENT}${this.current ?? ''}\n${LOCKED}\n${read}`, stderr: '' };
  }

  /**
   * The check+lock command (lock.ts attemptCommand): the probe, PROBED, then `if <guard>; then
   * <the lock's command>; else echo SKIPPED; fi`; null for any other command.
   */
  checkParts(command: string): { probe: string; holding: string } | null {
    const probed = command.indexOf(`; echo ${PROBED}; if `);
    const skipped = command.lastIndexOf(`; else echo ${SKIPPED}; fi`);
    if (probed < 0 || skipped < 0) return null;
    const then = command.indexOf('; then ', probed);
    return { probe: command.slice(0, probed), holding: command.slice(then + '; then '.length, skipped) };
  }

  /** What the check's guard decides here: the tools are all installed, so it holds unless `current` is not a link into releases/. */
  passesGuard(): boolean {
    return this.current === null || this.current.startsWith('releases/');
  }

  /**
   * The live command (remote-live.ts): the switch, `echo <marker>=switched`, the wait on stdin for
   * the go and the ledger line, the hook, `echo <marker>=posted`, then (`records`) the ledger line
   * and the read back; null for any other command.
   */
  liveParts(command: string): { marker: string; publish: string; hook: string; records: boolean } | null {
    const switched = new RegExp(`echo (\\S+)=${LIVE_MARKS.switched};`).exec(command);
    if (!switched) return null;
    const marker = switched[1]!;
    const posted = command.indexOf(`echo ${marker}=${LIVE_MARKS.posted}`);
    if (posted < 0) return null;
    return { marker, publish: command.slice(0, switched.index), hook: command.slice(switched.index + switched[0].length, posted), records: command.includes(`echo ${marker}=${LIVE_MARKS.recorded}`) };
  }

  /** Appends the ledger line the live command read on its stdin. */
  recordLine(line: string): void {
    if (line !== '') this.ledger.push(line);
  }

  private operations(command: string, label: string): { at: number; apply: () => string }[] {
    const ops: { at: number; apply: () => string }[] = [];
    const each = (pattern: RegExp, apply: (match: RegExpExecArray) => string): void => {
      for (const match of command.matchAll(new RegExp(pattern.source, 'g'))) ops.push({ at: match.index, apply: () => apply(match) });
    };
    each(/echo "home=\$HOME"/, () => this.probe());
    each(/pmx\.cjs\.pmx-new/, () => {
      this.bundle = /printf '%s\\n' (\S+) > "\$HOME\/\.pmx\/bundle\.sha256"/.exec(command)?.[1] ?? this.bundle;
      return '';
    });
    each(/pmx ping/, () => '');
    each(/rev-parse --verify --quiet/, () => `sha=${this.sha}\n`);
    each(/if test -e (\S+); then exit 73; fi;/, (m) => {
      const name = this.releaseOf(posix.relative(this.base, word(m[1]!)));
      if (name !== null && this.releases.has(name)) throw new Exit(73, '');
      return '';
    });
    each(/mkdir (\S+) && git -C \S+ archive --format=tar (\S+)/, (m) => this.createRelease(word(m[1]!), word(m[2]!)));
    each(/__rc=\$\(/, () => this.hook(label, command));
    // a health check is the user's command run in current: known by its phase, not its text
    if (label === 'health check' || label === 'batch wait') each(/^/, () => this.health());
    each(/test -d (\S+) && rm -f \S+ && ln -s (\S+) \S+ && mv -T -f/, (m) => this.publish(word(m[1]!), word(m[2]!)));
    each(/if test "\$\(readlink current 2>\/dev\/null\)" = (\S+); then rm -f current; fi/, (m) => this.unpublish(word(m[1]!)));
    each(/test "\$\(readlink current 2>\/dev\/null\)" != (\S+) \|\| \{ echo (?:'(?:[^']|'\\'')*'|\S+) >&2; exit 5; \}; \} && rm -rf ('(?:[^']|'\\'')*'|[^\s;]+)/, (m) => this.remove(word(m[1]!), word(m[2]!)));
    each(/printf '%s\\n' ((?:(?:'(?:[^']|'\\'')*'|[^\s'>]+) )+)>> (\S+)/, (m) => (word(m[2]!) === posix.join(this.base, '.pmx', 'revisions.log') ? this.record(words(m[1]!)) : ''));
    each(/echo @current;/, () => this.state());
    return ops;
  }

  private probe(): string {
    const lines = ['home=/home/deploy', 'node=/usr/bin/node', 'node_version=v20.19.0', 'git=/usr/bin/git', 'tar=/usr/bin/tar', 'flock=/usr/bin/flock', `timeout=${this.hasTimeout ? '/usr/bin/timeout' : ''}`, 'releases=1'];
    if (this.current !== null) lines.push(`current=${this.current}`);
    lines.push(`bundle=${this.bundle}`);
    return `${lines.join('\n')}\n`;
  }

  private createRelease(dir: string, sha: string): string {
    const name = this.releaseOf(posix.relative(this.base, dir));
    if (name === null) throw new Exit(1, `mkdir: cannot create directory '${dir}': outside releases/`);
    if (this.releases.has(name)) throw new Exit(1, `mkdir: cannot create directory '${dir}': File exists`);
    this.releases.set(name, sha);
    return '';
  }

  private hook(label: string, command: string): string {
    const cwd = word(/cd (\S+) && /.exec(command)?.[1] ?? '');
    const release = cwd === posix.join(this.base, 'current') ? this.currentRelease : this.releaseOf(posix.relative(this.base, cwd));
    // post-deploy (and the rollback's run of it) reloads the app on what current points at
    if (label !== 'pre-deploy') this.serving = this.currentRelease;
    return `${label} ran in ${release ?? cwd} on ${this.label}\n`;
  }

  private health(): string {
    const release = this.currentRelease;
    if (release !== null && this.sick.has(this.releases.get(release) ?? '')) throw new Exit(1, `unhealthy: ${release}`);
    return 'ok\n';
  }

  private publish(dir: string, target: string): string {
    if (!this.releases.has(posix.basename(dir))) throw new Exit(1, '');
    this.current = target;
    return '';
  }

  private unpublish(target: string): string {
    if (this.current === target) this.current = null;
    return '';
  }

  private remove(link: string, dir: string): string {
    const name = posix.basename(dir);
    if (this.current === link) throw new Exit(5, `refusing to remove ${name}: current points at it`);
    this.releases.delete(name);
    return '';
  }

  private record(lines: string[]): string {
    this.ledger.push(...lines);
    return '';
  }

  /** What stateCommand prints. */
  state(): string {
    const current = this.currentRelease;
    const revision = current !== null ? this.releases.get(current) : undefined;
    const sections = ['@current', ...(this.current ? [this.current] : []), '@current-revision', ...(revision ? [revision] : []), '@releases', ...[...this.releases.keys()].sort(), '@revisions', ...this.ledger, '@pm2-deploys', '@pm2-source'];
    return `${sections.join('\n')}\n`;
  }

  private releaseOf(link: string | null): string | null {
    return link !== null && link.startsWith('releases/') ? link.slice('releases/'.length) : null;
  }
}

/** One shell word, unquoted. */
function word(text: string): string {
  return words(text)[0] ?? '';
}

/** Shell words as quote() writes them: bare, or single-quoted with '\'' for a quote. */
function words(text: string): string[] {
  const out: string[] = [];
  let current: string | null = null;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === "'") quoted = false;
      else current += char;
    } else if (char === "'") {
      quoted = true;
      current ??= '';
    } else if (char === '\\' && i + 1 < text.length) {
      current = (current ?? '') + text[++i];
    } else if (/\s/.test(char)) {
      if (current !== null) out.push(current);
      current = null;
    } else current = (current ?? '') + char;
  }
  if (current !== null) out.push(current);
  return out;
}
