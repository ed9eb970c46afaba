// Reading an ecosystem file of any supported format into a plain value.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EcosystemError } from './errors.js';

/** The file's content: the module's export for .js/.cjs/.mjs, the parsed data for .json/.yaml. */
export async function readEcosystemFile(file: string): Promise<unknown> {
  const path = resolve(file);
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.json') return JSON.parse(readText(path));
    if (ext === '.yaml' || ext === '.yml') {
      const { parse } = await import('yaml');
      return parse(readText(path));
    }
    if (ext === '.mjs') return unwrapDefault(await import(pathToFileURL(path).href));
    return await loadCommonJs(path);
  } catch (error) {
    if (error instanceof EcosystemError) throw error;
    throw new EcosystemError('ECOSYSTEM_UNREADABLE', `${file}: cannot load: ${(error as Error).message}`, { file, cause: error });
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new EcosystemError('ECOSYSTEM_UNREADABLE', `${path}: cannot read: ${why}`, { file: path, cause: error });
  }
}

async function loadCommonJs(path: string): Promise<unknown> {
  const source = readText(path); // a clear error for a missing or unreadable file
  const require = createRequire(import.meta.url);
  try {
    // a fresh evaluation each time: the file may have changed since the last load
    delete require.cache[path];
    return unwrapModule(require(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') return unwrapDefault(await import(pathToFileURL(path).href));
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

/** `require()` of an ES module (Node 20.19+) gives its namespace: take the default export. */
function unwrapModule(value: unknown): unknown {
  return Object.prototype.toString.call(value) === '[object Module]' ? unwrapDefault(value) : value;
}

function unwrapDefault(module: unknown): unknown {
  const value = module as { default?: unknown };
  return value && typeof value === 'object' && 'default' in value ? value.default : module;
}
