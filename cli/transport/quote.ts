// Quoting for POSIX shells: every value from a config that ends up in a remote command goes
// through here.

/** `value` as one single-quoted shell word. */
export function quote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_./:=@%+,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * `value` as one shell word in which only `$NAME` and `${NAME}` expand (to the variable's value on
 * the host, as PM2's unquoted `export` lets them: `/opt/bin:$PATH`); every other character,
 * `$(...)`, backquotes and globs included, stays as it is.
 */
export function quoteExpanding(value: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const match of value.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g)) {
    if (match.index > at) parts.push(quote(value.slice(at, match.index)));
    parts.push(`"\${${match[1] ?? match[2]}}"`);
    at = match.index + match[0].length;
  }
  if (at < value.length || parts.length === 0) parts.push(quote(value.slice(at)));
  return parts.join('');
}

/** `export K='v' K2='v2';` for an environment, with names checked; the values of the names in `expanding` go through quoteExpanding. */
export function exportEnv(env: Record<string, string>, expanding: readonly string[] = []): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
    parts.push(`${name}=${expanding.includes(name) ? quoteExpanding(value) : quote(value)}`);
  }
  return parts.length > 0 ? `export ${parts.join(' ')};` : '';
}
