// Shell completion for pmx: the bash and zsh scripts, and their install into the user's rc file
// as one marked block. Process names come from `pmx completion-names` (one per line).
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from '../client/errors.js';

/** Shells pmx writes completion for. */
export type CompletionShell = 'bash' | 'zsh';

/** First and last line of the block pmx adds to an rc file. */
export const BLOCK_START = '# >>> pmx completion >>>';
export const BLOCK_END = '# <<< pmx completion <<<';

/** Commands whose arguments are process ids, names, namespaces or `all`. */
export const TARGET_COMMANDS = ['stop', 'restart', 'reload', 'gracefulReload', 'delete', 'del', 'reset', 'describe', 'show', 'desc', 'info', 'env', 'logs', 'flush'];

const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGKILL', 'SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGWINCH'];
const PLAIN_WORD = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** The completion script for a shell, completing these command names and process names. */
export function completionScript(shell: CompletionShell, commands: readonly string[]): string {
  for (const command of commands) {
    if (!PLAIN_WORD.test(command)) throw new TypeError(`completionScript: command name '${command}' is not a plain word`);
  }
  return shell === 'zsh' ? zshScript(commands) : bashScript(commands);
}

// Candidates are filtered with a literal prefix test, never with `compgen -W`, which would expand
// `$(...)` inside process names; results are read line by line, so names are never globbed.
function bashScript(commands: readonly string[]): string {
  const lines = (words: readonly string[]): string => `$'${words.join('\\n')}'`;
  return `# pmx completion for bash, written by \`pmx completion\`.
_pmx_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" at=1 word candidates
  COMPREPLY=()
  while [ "$at" -lt "$COMP_CWORD" ] && [[ "\${COMP_WORDS[at]}" == -* ]]; do at=$((at + 1)); done
  [[ "$cur" == -* ]] && return 0
  if [ "$COMP_CWORD" -le "$at" ]; then
    candidates=${lines(commands)}
  else
    local position=$((COMP_CWORD - at))
    case "\${COMP_WORDS[at]}" in
      ${TARGET_COMMANDS.join('|')})
        candidates="all"$'\\n'"$(pmx completion-names 2>/dev/null)" ;;
      sendSignal)
        if [ "$position" -eq 1 ]; then candidates=${lines(SIGNALS)}
        else candidates="all"$'\\n'"$(pmx completion-names 2>/dev/null)"; fi ;;
      start)
        compopt -o filenames 2>/dev/null
        candidates="$(pmx completion-names 2>/dev/null)"$'\\n'"$(compgen -f -- "$cur")" ;;
      completion)
        if [ "$position" -eq 1 ]; then candidates=$'install\\nuninstall'
        elif [ "$position" -eq 2 ]; then candidates=$'bash\\nzsh'; fi ;;
      *) return 0 ;;
    esac
  fi
  while IFS= read -r word; do
    if [ -n "$word" ] && [[ "$word" == "$cur"* ]]; then COMPREPLY+=("$word"); fi
  done <<< "$candidates"
  return 0
}
complete -o default -F _pmx_completion pmx
`;
}

function zshScript(commands: readonly string[]): string {
  return `#compdef pmx
# pmx completion for zsh, written by \`pmx completion zsh\`.
_pmx() {
  local -a subcommands names
  local -i at=2 position
  subcommands=(${commands.join(' ')})
  while (( at < CURRENT )) && [[ \${words[at]} == -* ]]; do (( at++ )); done
  if (( CURRENT <= at )); then
    compadd -- $subcommands
    return
  fi
  position=$(( CURRENT - at ))
  case \${words[at]} in
    (${TARGET_COMMANDS.join('|')})
      names=(\${(f)"$(pmx completion-names 2>/dev/null)"})
      compadd -- all $names ;;
    (sendSignal)
      if (( position == 1 )); then
        compadd -- ${SIGNALS.join(' ')}
      else
        names=(\${(f)"$(pmx completion-names 2>/dev/null)"})
        compadd -- all $names
      fi ;;
    (start)
      names=(\${(f)"$(pmx completion-names 2>/dev/null)"})
      compadd -- $names
      _files ;;
    (completion)
      if (( position == 1 )); then compadd -- install uninstall
      elif (( position == 2 )); then compadd -- bash zsh; fi ;;
    (*)
      _files ;;
  esac
}
if (( $+functions[compdef] )); then
  compdef _pmx pmx
else
  autoload -Uz compinit && compinit -i && compdef _pmx pmx
fi
`;
}

/** The shell named by a login shell path such as $SHELL: zsh for `…/zsh`, bash otherwise. */
export function detectShell(loginShell: string | undefined): CompletionShell {
  return loginShell !== undefined && /(?:^|\/)zsh[^/]*$/.test(loginShell) ? 'zsh' : 'bash';
}

/** Where a shell's completion script and rc file are. */
export function completionFiles(shell: CompletionShell, home: string, pmxHome: string): { rcFile: string; scriptFile: string } {
  return { rcFile: join(home, shell === 'zsh' ? '.zshrc' : '.bashrc'), scriptFile: join(pmxHome, `completion.${shell}`) };
}

/** Writes the script under pmxHome and sources it from the rc file (one block, however often it runs). */
export async function installCompletion(opts: {
  shell?: CompletionShell;
  /** The user's login shell ($SHELL), used when `shell` is not given. */
  loginShell?: string;
  home: string;
  pmxHome: string;
  commands: string[];
}): Promise<{ rcFile: string; scriptFile: string; shell: CompletionShell }> {
  const shell = opts.shell ?? detectShell(opts.loginShell);
  const { rcFile, scriptFile } = completionFiles(shell, opts.home, opts.pmxHome);
  await mkdir(opts.pmxHome, { recursive: true });
  await writeFile(scriptFile, completionScript(shell, opts.commands), { mode: 0o644 });
  const rc = await readIfExists(rcFile);
  const { text } = withoutBlock(rc ?? '', rcFile);
  // writeFile follows a symlinked rc file (dotfile managers) instead of replacing it.
  await writeFile(rcFile, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${sourceBlock(scriptFile)}\n`);
  return { rcFile, scriptFile, shell };
}

/** Removes the block and the script of one shell, or of both when none is named. */
export async function uninstallCompletion(opts: { home: string; pmxHome: string; shell?: CompletionShell }): Promise<{ rcFile: string; removed: boolean }> {
  const shells: CompletionShell[] = opts.shell ? [opts.shell] : ['bash', 'zsh'];
  let changedRc: string | null = null;
  let removed = false;
  for (const shell of shells) {
    const { rcFile, scriptFile } = completionFiles(shell, opts.home, opts.pmxHome);
    const rc = await readIfExists(rcFile);
    if (rc !== null) {
      const result = withoutBlock(rc, rcFile);
      if (result.removed) {
        await writeFile(rcFile, result.text);
        changedRc ??= rcFile;
        removed = true;
      }
    }
    if (await exists(scriptFile)) {
      await rm(scriptFile, { force: true });
      removed = true;
    }
  }
  return { rcFile: changedRc ?? completionFiles(shells[0] ?? 'bash', opts.home, opts.pmxHome).rcFile, removed };
}

/** The marked lines that source the script. */
export function sourceBlock(scriptFile: string): string {
  const quoted = `'${scriptFile.replace(/'/g, `'\\''`)}'`;
  return [BLOCK_START, '# Added by `pmx completion install`; `pmx completion uninstall` removes it.', `if [ -f ${quoted} ]; then . ${quoted}; fi`, BLOCK_END].join('\n');
}

/** The rc text without any pmx block; refuses a start line without its end line. */
export function withoutBlock(rc: string, rcFile: string): { text: string; removed: boolean } {
  const lines = rc.split('\n');
  const kept: string[] = [];
  let removed = false;
  for (let index = 0; index < lines.length; index += 1) {
    if (lines[index]?.trim() !== BLOCK_START) {
      kept.push(lines[index] ?? '');
      continue;
    }
    const end = lines.findIndex((line, at) => at > index && line.trim() === BLOCK_END);
    if (end < 0) {
      throw new CliError(`${rcFile} has the line '${BLOCK_START}' without its closing line '${BLOCK_END}'`, { code: 'BAD_ARGUMENT', hint: `remove the incomplete pmx block from ${rcFile}, then run the command again`, data: { file: rcFile } });
    }
    index = end;
    removed = true;
  }
  return { text: kept.join('\n'), removed };
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null)) !== null;
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
