// Pure builders of the commands that bring secrets to a host and into hooks. Values never appear
// on a command line (a remote command line shows in `ps` and in logs): they travel on stdin into
// 0600 files, and hooks read them from there.
import { posix } from 'node:path';
import { quote } from '../transport/quote.js';
import type { SecretValue } from './secrets.js';

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
