// `pmx init`: copies an ecosystem template from deploy-templates/ into a directory.
import { copyFile, constants } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EcosystemError } from './errors.js';

/** The deploy-templates/ directory of this installation (found upwards from this module). */
export function templatesDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'deploy-templates'))) return join(dir, 'deploy-templates');
    if (dirname(dir) === dir) throw new Error('deploy-templates/ not found beside the pmx installation');
  }
}

/** Writes `ecosystem.config.js` into `dir`; refuses to overwrite one. */
export async function writeInitTemplate(dir: string, simple: boolean): Promise<string> {
  const target = join(dir, 'ecosystem.config.js');
  const source = join(templatesDir(), simple ? 'ecosystem-simple.config.js' : 'ecosystem.config.js');
  try {
    await copyFile(source, target, constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new EcosystemError('INIT_EXISTS', `${target} already exists; remove it or edit it`, { file: target });
    }
    throw error;
  }
  return target;
}
