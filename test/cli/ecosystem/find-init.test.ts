// Which names are ecosystem files, which one is used when none is named, and `pmx init`.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers/pmx.js';
import { EcosystemError, findEcosystemFile, isEcosystemFile, loadEcosystem } from '../../../cli/ecosystem/index.js';
import { templatesDir, writeInitTemplate } from '../../../cli/ecosystem/init.js';
import { tmpDir, tmpFiles } from './tmp-files.js';

describe('isEcosystemFile', () => {
  it('decides by the name as PM2 does', () => {
    const files = ['ecosystem.config.js', 'ecosystem.config.cjs', 'ecosystem.config.mjs', 'app.json', 'process.json', 'deploy/pm2.yml', 'x.yaml', 'prod.config.js'];
    for (const file of files) expect(isEcosystemFile(file), file).toBe(true);
    for (const file of ['server.js', 'ecosystem.js', 'app.mjs', 'worker.py', 'config.js']) expect(isEcosystemFile(file), file).toBe(false);
  });
});

describe('findEcosystemFile', () => {
  it('takes PM2’s default names in order', () => {
    const dir = tmpFiles({ 'ecosystem.json': '{}', 'ecosystem.config.mjs': '', 'ecosystem.yml': '' });
    expect(findEcosystemFile(dir)).toBe(join(dir, 'ecosystem.config.mjs'));
    expect(findEcosystemFile(tmpFiles({ 'ecosystem.yaml': '', 'ecosystem.json': '' }))).toMatch(/ecosystem\.json$/);
    expect(findEcosystemFile(join(FIXTURES, 'apps'))).toBeNull();
  });
});

describe('pmx init', () => {
  it('writes the template with a deploy section, which loads once its script exists', async () => {
    const dir = tmpFiles({ 'app.js': '' });
    const file = await writeInitTemplate(dir, false);
    expect(file).toBe(join(dir, 'ecosystem.config.js'));
    const loaded = await loadEcosystem(file, { baseEnv: { PATH: process.env.PATH }, envName: 'production' });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.apps[0]).toMatchObject({ name: 'app', script: join(dir, 'app.js'), env: { NODE_ENV: 'production' } });
    expect(loaded.deploy).toHaveProperty('production', expect.objectContaining({ user: expect.any(String), host: expect.anything(), ref: expect.any(String), repo: expect.any(String), path: expect.any(String), 'post-deploy': expect.any(String) }));
  });

  it('writes the simple template with apps only', async () => {
    const dir = tmpFiles({ 'app.js': '' });
    const loaded = await loadEcosystem(await writeInitTemplate(dir, true), { baseEnv: {} });
    expect(loaded.apps.map((app) => app.name)).toEqual(['app']);
    expect(loaded.deploy).toBeUndefined();
  });

  it('refuses to overwrite an ecosystem.config.js', async () => {
    const dir = tmpFiles({ 'ecosystem.config.js': 'mine' });
    const error = await writeInitTemplate(dir, true).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EcosystemError);
    expect(error).toMatchObject({ code: 'INIT_EXISTS', file: join(dir, 'ecosystem.config.js') });
    expect(readFileSync(join(dir, 'ecosystem.config.js'), 'utf8')).toBe('mine');
  });

  it('finds deploy-templates/ from the sources and from a built dist/cli/ecosystem/', () => {
    const root = tmpFiles({ 'deploy-templates/ecosystem.config.js': '', 'dist/cli/ecosystem/init.js': '' });
    expect(templatesDir(join(root, 'dist/cli/ecosystem/init.js'))).toBe(join(root, 'deploy-templates'));
    expect(templatesDir()).toMatch(/deploy-templates$/);
    expect(() => templatesDir(join(tmpDir(), 'init.js'))).toThrow(/deploy-templates\/ecosystem\.config\.js not found/);
  });
});
