// The ecosystem file of `pmx deploy`: the one named, or the first of PM2's default names in the
// current directory; only its `deploy` section is read (apps are the hosts' business).
import { relative, resolve } from 'node:path';
import { DEFAULT_FILES, findEcosystemFile } from '../ecosystem/find.js';
import { readEcosystemFile } from '../ecosystem/load-file.js';
import { DeployConfigError } from './errors.js';

/** The file to use: `file` as given, else the first default name found in `dir`. */
export function deployFile(file: string | null, dir: string): string {
  if (file) return resolve(dir, file);
  const found = findEcosystemFile(dir);
  if (!found) throw new DeployConfigError(`no ecosystem file in ${dir} (looked for ${DEFAULT_FILES.join(', ')}); name one: pmx deploy <file> <environment>`, { file: dir });
  return found;
}

/** The raw `deploy` section of a file (undefined when it has none). */
export async function readDeploySection(file: string): Promise<unknown> {
  const content = await readEcosystemFile(file, relative(process.cwd(), file) || file);
  return content !== null && typeof content === 'object' && !Array.isArray(content) ? (content as Record<string, unknown>).deploy : undefined;
}
