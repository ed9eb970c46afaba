// Quoting for POSIX shells: every value from a config that ends up in a remote command goes
// through here.

/** `value` as one single-quoted shell word. */
export function quote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_./:=@%+,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `export K='v' K2='v2';` for an environment, with names checked. */
export function exportEnv(env: Record<string, string>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
    parts.push(`${name}=${quote(value)}`);
  }
  return parts.length > 0 ? `export ${parts.join(' ')};` : '';
}
