// `pmx init`: copies an ecosystem template from deploy-templates/ into a directory.
import { copyFile, constants } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EcosystemError } from './errors.js';

const TEMPLATE = 'ecosystem.config.js';
const SIMPLE_TEMPLATE = 'ecosystem-simple.config.js';

/**
 * The deploy-templates/ directory of this installation: the first one holding the templates found
 * upwards from this module (cli/ecosystem/ in the sources, dist/cli/ecosystem/ once built, or a bundle).
 */
export function templatesDir(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'deploy-templates');
    if (existsSync(join(candidate, TEMPLATE))) return candidate;
    if (dirname(dir) === dir) {
      throw new EcosystemError(`deploy-templates/${TEMPLATE} not found above ${dirname(from)}; reinstall pmx`, { code: 'TEMPLATES_NOT_FOUND' });
    }
  }
}

/** Writes `ecosystem.config.js` (with a deploy section, or apps only when `simple`) into `dir`; refuses to overwrite one. */
export async function writeInitTemplate(dir: string, simple: boolean): Promise<string> {
  const target = join(dir, 'ecosystem.config.js');
  const source = join(templatesDir(), simple ? SIMPLE_TEMPLATE : TEMPLATE);
  try {
    await copyFile(source, target, constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new EcosystemError(`${target} already exists; edit it, or remove it to start again`, { code: 'INIT_EXISTS', file: target, cause: error });
    }
    throw error;
  }
  return target;
}
