// Pure builders of the commands that bring secrets to a host and into hooks, and keep what a
// deploy replaces until it stands. Values never appear on a command line (a remote command line
// shows in `ps` and in logs): they travel on stdin into 0600 files, and hooks read them there.
import { posix } from 'node:path';
import { quote } from '../transport/quote.js';
import type { SecretValue } from './types.js';

const q = quote;

/** Writes stdin to `file` with mode 0600 (a private temp file renamed over it); `names` label the command with what it carries. */
export function receivePrivateFileCommand(file: string, names: string[]): string {
  const temp = q(`${file}.pmx-new`);
  const label = names.length > 0 ? `: carries ${names.map(q).join(' ')} on stdin && ` : '';
  return `${label}mkdir -p ${q(posix.dirname(file))} && rm -f ${temp} && ( umask 077 && cat > ${temp} ) && chmod 600 ${temp} && mv -f ${temp} ${q(file)}`;
}

/** The secrets file's text: one `NAME='value'` line per secret, which a POSIX shell sources as it is. */
export function secretsFileText(values: SecretValue[]): string {
  return values.map(({ name, value }) => `${name}=${q(value)}\n`).join('');
}

/** Exports the secrets file's variables into the shell, when the file exists. */
export function sourceSecretsCommand(file: string): string {
  return `if test -f ${q(file)}; then set -a && . ${q(file)} && set +a; fi`;
}

// a deploy keeps what it replaces until it has published, named after its release so that a copy
// left by another run (its connection lost before finish) is never taken for this run's
const kept = (file: string, release: string, kind: 'prev' | 'none'): string => q(`${file}.${release}.pmx-${kind}`);
const anyKept = (file: string): string => `${q(file)}.*.pmx-prev ${q(file)}.*.pmx-none`;

/** Before a deploy replaces `files`: a private copy of each, or a mark that there was none (older copies removed). */
export function keepFilesCommand(files: string[], release: string): string {
  return files.map((file) => `rm -f ${anyKept(file)} && if test -e ${q(file)}; then cp -p ${q(file)} ${kept(file, release, 'prev')}; else ( umask 077 && : > ${kept(file, release, 'none')} ); fi`).join(' && ');
}

/** Puts back what the deploy of `release` replaced: the copy, or no file when there was none; nothing when it replaced nothing. */
export function restoreFilesCommand(files: string[], release: string): string {
  return files.map((file) => `if test -e ${kept(file, release, 'prev')}; then mv -f ${kept(file, release, 'prev')} ${q(file)}; elif test -e ${kept(file, release, 'none')}; then rm -f ${q(file)} ${kept(file, release, 'none')}; fi`).join(' && ');
}

/** Removes the copies once the deploy stands. */
export function dropKeptFilesCommand(files: string[]): string {
  return `rm -f ${files.map(anyKept).join(' ')}`;
}
