// The words a fleet command sends to each host's pmx: the command line as typed, less the options
// that choose the fleet (`--deploy`, `--deploy-file`, `--hosts`, `--roles`), so every other flag
// keeps its local meaning.

/** Options that pick the environment and its hosts; they are read locally and never sent to a host. */
const FLEET_OPTIONS = ['--deploy', '--deploy-file', '--hosts', '--roles'];

/** `argv` (without node and script) less the fleet options and their values. */
export function remoteWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === '--') return [...words, ...argv.slice(index)];
    if (FLEET_OPTIONS.includes(word)) index++; // its value follows
    else if (!FLEET_OPTIONS.some((option) => word.startsWith(`${option}=`))) words.push(word);
  }
  return words;
}

/** `words` with the value of `option` (`--since x` or `--since=x`, before any `--`) replaced by `value`. */
export function replaceOptionValue(words: readonly string[], option: string, value: string): string[] {
  const end = words.includes('--') ? words.indexOf('--') : words.length;
  return words.map((word, index) => {
    if (index >= end) return word;
    if (word.startsWith(`${option}=`)) return `${option}=${value}`;
    return index > 0 && words[index - 1] === option ? value : word;
  });
}
