// Reading rendered init files back the way their init systems do, so that tests run what a unit
// says exactly as it is written (systemd.syntax(7) quoting and specifiers, upstart's env values).

const C_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", ' ': ' ' };

/**
 * The words of a systemd value: specifiers first (`%%` -> `%`; any other is unexpected here),
 * then quotes and C escapes; in Exec lines `$$` -> `$` (a `$VAR` is unexpected here).
 */
export function systemdWords(value: string, kind: 'exec' | 'env'): string[] {
  const specified = value.replace(/%(.)/g, (_match, char: string) => {
    if (char !== '%') throw new Error(`unexpected specifier %${char} in ${value}`);
    return '%';
  });
  return splitWords(specified).map((word) => {
    if (kind === 'env') return word;
    return word.replace(/\$(\$|\{|[A-Za-z_])/g, (_match, char: string) => {
      if (char !== '$') throw new Error(`unexpected variable in ${word}`);
      return '$';
    });
  });
}

/** `Environment=` assignments as a record. */
export function systemdAssignments(value: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of systemdWords(value, 'env')) {
    const at = word.indexOf('=');
    env[word.slice(0, at)] = word.slice(at + 1);
  }
  return env;
}

/** The value of an upstart `env K=V` stanza: bare, or double-quoted with backslash escapes. */
export function upstartValue(value: string): string {
  if (!value.startsWith('"')) return value;
  if (!value.endsWith('"') || value.length < 2) throw new Error(`unbalanced quote in ${value}`);
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** The command of an upstart job's `exec` stanza. */
export function execLine(text: string): string {
  const line = text.match(/^exec (.*)$/m)?.[1];
  if (!line) throw new Error('no exec stanza');
  return line;
}

function splitWords(text: string): string[] {
  const words: string[] = [];
  let index = 0;
  const escaped = (): string => {
    const char = text[index + 1];
    index += 2;
    if (char === undefined || !(char in C_ESCAPES)) throw new Error(`unexpected escape in ${text}`);
    return C_ESCAPES[char]!;
  };
  while (index < text.length) {
    while (text[index] === ' ' || text[index] === '\t') index++;
    if (index >= text.length) break;
    let word = '';
    while (index < text.length && text[index] !== ' ' && text[index] !== '\t') {
      const char = text[index]!;
      if (char === '"' || char === "'") {
        index++;
        while (index < text.length && text[index] !== char) word += text[index] === '\\' ? escaped() : text[index++];
        if (index >= text.length) throw new Error(`unbalanced quote in ${text}`);
        index++;
      } else if (char === '\\') {
        word += escaped();
      } else {
        word += char;
        index++;
      }
    }
    words.push(word);
  }
  return words;
}
