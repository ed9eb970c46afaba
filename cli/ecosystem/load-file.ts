// Reading an ecosystem file of any supported format into a plain value.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { EcosystemError } from './errors.js';
import { guardRunnable } from '../../agent/protocol/home-guard.js';
import { formatOf } from './find.js';
import { parseJsonFile } from './parse-json.js';
import { markEcosystemCode } from './ran-code.js';

/** The content of the file at the absolute `path` (the module's export, or the parsed data); `shown` names it in messages. */
export async function readEcosystemFile(path: string, shown: string): Promise<unknown> {
  try {
    // its code runs as this user when it is read, and its values name what the agent runs
    guardRunnable(path, 'the ecosystem file', 'run pmx as the user who owns it, or make it yours (chown) once you have read it');
  } catch (error) {
    throw new EcosystemError(`${shown}: ${(error as Error).message} (nothing was started)`, { code: 'ECOSYSTEM_UNSAFE', file: path, cause: error });
  }
  const text = readText(path, shown); // a clear error for a missing or unreadable file, whatever the format
  const format = formatOf(path);
  if (format === 'json') return parseJsonFile(text, path, shown);
  if (format === 'yaml') return parseYaml(text, path, shown);
  markEcosystemCode();
  try {
    return await untilSettled(format === 'mjs' ? import(fileUrl(path)).then(unwrapDefault) : loadCommonJs(text, path), path, shown);
  } catch (error) {
    if (error instanceof EcosystemError) throw error;
    const where = locate(error, path) || locate(recompile(text, path, error), path);
    const what = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
    throw new EcosystemError(`${shown}: cannot load: ${what}${where}`, { code: 'ECOSYSTEM_UNREADABLE', file: path, cause: error });
  }
}

/**
 * `loading`, or an error naming the file when nothing is left that could settle it (an exported
 * promise, or a top-level await, that never settles): the command would otherwise exit 0 having
 * started nothing and said nothing.
 */
async function untilSettled(loading: Promise<unknown>, path: string, shown: string): Promise<unknown> {
  let hung = (): void => undefined;
  const never = new Promise<never>((_resolve, reject) => {
    hung = () => reject(new EcosystemError(`${shown}: its exports never settle (a promise nothing resolves, or a top-level await of one): nothing was started`, { code: 'ECOSYSTEM_UNREADABLE', file: path }));
    process.once('beforeExit', hung);
  });
  try {
    return await Promise.race([loading, never]);
  } finally {
    process.off('beforeExit', hung);
  }
}

function readText(path: string, shown: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory, not a file' : (error as Error).message;
    throw new EcosystemError(`${shown}: cannot read: ${why}`, { code: 'ECOSYSTEM_UNREADABLE', file: path, cause: error });
  }
}

async function parseYaml(text: string, path: string, shown: string): Promise<unknown> {
  const { parse, YAMLParseError } = await import('yaml');
  try {
    // merge keys (`<<: *defaults`) as YAML 1.1 has them: how YAML files share settings, and PM2's loader reads them
    return parse(text, { merge: true });
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    const position = error.linePos?.[0];
    const where = position ? ` at line ${position.line}, column ${position.col}` : '';
    const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new EcosystemError(`${shown}: invalid YAML${where}: ${reason}`, { code: 'ECOSYSTEM_UNREADABLE', file: path, cause: error });
  }
}

async function loadCommonJs(source: string, path: string): Promise<unknown> {
  const require = createRequire(import.meta.url);
  try {
    // a fresh evaluation each time: the file may have changed since the last load
    delete require.cache[path];
    return unwrapModule(require(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') return unwrapDefault(await import(fileUrl(path)));
    // a `module.exports` file inside a "type": "module" package: PM2's format, so run it as CommonJS
    if (error instanceof ReferenceError && /\b(module|exports|require) is not defined in ES module scope/.test(error.message)) {
      return compileCommonJs(source, path);
    }
    throw error;
  }
}

/** Evaluates `source` as a CommonJS module at `path`, whatever the package's module type says. */
function compileCommonJs(source: string, path: string): unknown {
  const CjsModule = Module as unknown as {
    new (id: string): { filename: string; paths: string[]; exports: unknown; _compile(source: string, file: string): void };
    _nodeModulePaths(dir: string): string[];
  };
  const module = new CjsModule(path);
  module.filename = path;
  module.paths = CjsModule._nodeModulePaths(dirname(path));
  module._compile(source, path);
  return module.exports;
}

/** A fresh URL each load, so that an edited .mjs file is evaluated again. */
function fileUrl(path: string): string {
  return `${pathToFileURL(path).href}?t=${Date.now()}`;
}

/** ` (line L, column C)` in the file, from the error's stack, or ''. */
function locate(error: unknown, path: string): string {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?:${escape(path)}|${escape(pathToFileURL(path).href)}(?:\\?t=\\d+)?):(\\d+)(?::(\\d+))?`);
  const match = pattern.exec(stack);
  if (!match) return '';
  return match[2] ? ` (line ${match[1]}, column ${match[2]})` : ` (line ${match[1]})`;
}

/**
 * A syntax error met while compiling an ES module carries no location: compiling the source as a
 * script finds the same error with one (when it reports the same message, it is the same error).
 */
function recompile(source: string, path: string, error: unknown): unknown {
  if (!(error instanceof SyntaxError)) return null;
  try {
    new Script(source, { filename: path });
  } catch (again) {
    if (again instanceof SyntaxError && again.message === error.message) return again;
  }
  return null;
}

/** `require()` of an ES module (Node 20.19+) gives its namespace: take the default export. */
function unwrapModule(value: unknown): unknown {
  return Object.prototype.toString.call(value) === '[object Module]' ? unwrapDefault(value) : value;
}

function unwrapDefault(module: unknown): unknown {
  const value = module as { default?: unknown };
  return value && typeof value === 'object' && 'default' in value ? value.default : module;
}
