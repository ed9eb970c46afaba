// Namespace hosts that only a bastion can reach: each target's link is taken off the instance's
// bridge and moved into the bastion's namespace, with a route to the target there. The targets keep
// their addresses, sshd and host keys; from the root namespace (where pmx runs) no packet reaches
// them, and the bastion does not forward (a new namespace has ip_forward off).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { netns } from './netns-hosts.js';
import { runChecked } from './run-command.js';
import type { TestHost } from './types.js';

/** Moves each target's root-side veth into the bastion's namespace; undone only by stopHosts (the namespaces go, and the links with them). */
export async function hideBehind(bastion: TestHost, targets: TestHost[]): Promise<void> {
  const inside = netns(bastion).netns;
  for (const target of targets) {
    const veth = netns(target).netns.replace(/h(\d+)$/, 'v$1'); // pmx<k>h<i> has pmx<k>v<i> on the bridge
    await runChecked('ip', ['link', 'set', veth, 'nomaster']);
    await runChecked('ip', ['link', 'set', veth, 'netns', inside]);
    await runChecked('ip', ['-n', inside, 'link', 'set', veth, 'up']);
    await runChecked('ip', ['-n', inside, 'route', 'add', `${target.address}/32`, 'dev', veth]);
  }
}

/** How many TCP connections host's sshd accepted from `from` so far (LogLevel VERBOSE logs each as `Connection from <addr> port <p>`). */
export async function connectionsFrom(host: TestHost, from: string): Promise<number> {
  const log = await readFile(path.join(netns(host).dir, 'sshd.log'), 'utf8');
  return log.split('\n').filter((line) => line.includes(`Connection from ${from} port `)).length;
}
