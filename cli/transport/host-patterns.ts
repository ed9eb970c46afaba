// OpenSSH's host patterns, shared by ~/.ssh/config `Host` lines and known_hosts entries: `*` and `?`
// globs, ignoring case, and `!` to negate. Each caller splits its own list (whitespace for `Host`,
// commas for known_hosts); `[host]:port` names and hashed `|1|` entries stay with known_hosts.

/** Whether `name` matches `glob` (`*`: any run of characters, `?`: one), ignoring case. */
export function globMatch(glob: string, name: string): boolean {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(name);
}

/** A pattern list against a name, as OpenSSH decides it: a matching negated pattern rejects, else one positive match is needed. */
export function hostPatternsMatch(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}
