// Real SSH hosts for the deploy benchmark: the test harness (test/hosts, TypeScript) bundled once
// with esbuild, as scripts/demo-deploy.mjs does; hosts stopped at the end of the run or on
// Ctrl-C, and an ssh command as each host's deploy user for resetting them between runs.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { onCleanup } from './cleanup.mjs';
import { ROOT, tempDir } from './paths.mjs';

let harness;

async function loadHarness() {
  harness ??= (async () => {
    const outfile = join(tempDir('hosts-harness'), 'hosts.mjs');
    await build({ entryPoints: [join(ROOT, 'test/hosts/index.ts')], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['testcontainers'], logLevel: 'error' });
    return import(pathToFileURL(outfile).href);
  })();
  return harness;
}

/**
 * Starts `count` hosts (root on Linux: network namespaces with their own sshd); `extraPath` dirs
 * come first in PATH of every ssh session. Resolves to the harness handle, stopped at cleanup.
 */
export async function startSshHosts({ count, name, extraPath = [] }) {
  const { startHosts, stopHosts } = await loadHarness();
  const handle = await startHosts({ count, name, extraPath });
  onCleanup(() => stopHosts(handle));
  return handle;
}

/** Runs a shell command on a host as its deploy user; a non-zero exit throws with its stderr. */
export async function onHost(host, command) {
  const { sshExec } = await loadHarness();
  const result = await sshExec(host, command, { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`${host.name}: \`${command}\` exited with ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}
