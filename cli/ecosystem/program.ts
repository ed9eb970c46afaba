// What an app runs: its script (a file, a directory, a command on PATH, or a whole command line),
// the interpreter for it and the arguments, resolved as PM2 resolves them.
import { basename, extname, isAbsolute } from 'node:path';
import { absolute, expandHome, interpreterFor, isExecutable, locateScript, onPath } from './resolve-script.js';
import { SERVE_WORD, serveScript } from './serve-script.js';

/** A resolved program. */
export interface Program {
  /** Absolute path of the script, directory or command. */
  script: string;
  args: string[];
  interpreter: string;
  /** PM2's default name: the script's (or the command line's) base name without its extension. */
  defaultName: string;
}

/**
 * Why a program cannot be run: its script is nowhere, or its interpreter is (PM2's "Interpreter
 * ... is NOT AVAILABLE in PATH": nothing is registered, so the corrected command starts afresh),
 * or nothing here can run a TypeScript script given no interpreter. (An interpreter gone between
 * this check and the start is left to the agent, which marks the app errored and names it.)
 */
export interface ProgramFault {
  fault: 'script' | 'interpreter';
  reason: string;
}

/** What a draft asks to run. */
export interface ProgramRequest {
  script: string;
  args?: string[];
  interpreter?: string;
}

/** Resolves `request` in `cwd` with the PATH and HOME of `env`. */
export function resolveProgram(request: ProgramRequest, cwd: string, env: Record<string, string | undefined>): Program | ProgramFault {
  const path = env.PATH ?? process.env.PATH ?? '';
  // as in PM2, the word wins over a file of that name: the app is the static server, set up by PM2_SERVE_*
  if (request.script === SERVE_WORD) return { script: serveScript(), args: request.args ?? [], interpreter: request.interpreter ?? 'node', defaultName: SERVE_WORD };
  const given = expandHome(request.script, env.HOME);
  const script = locateScript(given, cwd, path);
  if (!script) return commandLine(request, path) ?? { fault: 'script', reason: notFound(request.script, cwd) };
  if (!request.interpreter && TYPESCRIPT.has(extname(script).toLowerCase())) {
    const interpreter = typescriptInterpreter(path);
    if (!interpreter) return { fault: 'interpreter', reason: `is not set, and '${request.script}' is TypeScript: install bun (on PATH), use Node.js >= 22.18, or name one (interpreter: 'deno' with interpreter_args: 'run --allow-net', or 'tsx')` };
    return { script, args: request.args ?? [], interpreter, defaultName: basename(request.script, extname(request.script)) };
  }
  let interpreter = request.interpreter ?? interpreterFor(script);
  // PM2 picks `python` for .py and falls back to python3; pmx prefers python3 and falls back to python
  if (!request.interpreter && interpreter === 'python3' && !onPath('python3', path) && onPath('python', path)) {
    interpreter = 'python';
  }
  const missing = missingInterpreter(interpreter, path);
  if (missing) return { fault: 'interpreter', reason: request.interpreter ? `'${interpreter}' ${missing}` : `is not set, and '${request.script}' runs with '${interpreter}', which ${missing}: install it, or name an interpreter` };
  return { script, args: request.args ?? [], interpreter, defaultName: basename(request.script, extname(request.script)) };
}

/** Why `interpreter` cannot be run from here ('is not on PATH', 'is not an executable file'), or null; node is this node. */
function missingInterpreter(interpreter: string, path: string): string | null {
  if (interpreter === 'none' || interpreter === 'node' || interpreter === '') return null;
  if (!interpreter.includes('/')) return onPath(interpreter, path) ? null : 'is not on PATH';
  if (isAbsolute(interpreter) && !isExecutable(interpreter)) return 'is not an executable file';
  return null;
}

const TYPESCRIPT = new Set(['.ts', '.tsx', '.mts']);

/** PM2 7's choice for TypeScript given no interpreter: bun when on PATH, else a node that strips types by itself. */
function typescriptInterpreter(path: string): string | null {
  if (onPath('bun', path)) return 'bun';
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 18) ? 'node' : null;
}

/** PM2 runs a script with spaces that is no file (`'npm run start'`) as `bash -c '<line>'`, named after the line as PM2 names it. */
function commandLine(request: ProgramRequest, path: string): Program | null {
  const line = request.script.trim();
  if (!/\s/.test(line)) return null;
  const shell = onPath('bash', path) ?? onPath('sh', path);
  if (!shell) return null;
  // PM2's name for it: basename(line, extname(line)), so 'node dist/main.js --port 3' is 'main'
  return { script: shell, args: ['-c', line], interpreter: 'none', defaultName: basename(line, extname(line)) };
}

function notFound(script: string, cwd: string): string {
  const onPathToo = script.includes('/') ? '' : ', nor a command of that name on PATH';
  return `'${script}' not found: no file ${absolute(script, cwd)}${onPathToo}`;
}
