// The processes an app of a test's pmx home runs, found from /proc by their environment (an app's
// children carry PMX_HOME and the `name` pmx gives them), whatever the agent's list says.
import { readFileSync, readdirSync } from 'node:fs';
import { alive } from './pmx.js';

/** Pids of live processes started for app `name` of the pmx home `home`. */
export function appPids(home: string, name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    if (environ.includes(`PMX_HOME=${home}`) && environ.includes(`name=${name}`) && alive(Number(entry))) pids.push(Number(entry));
  }
  return pids.sort((a, b) => a - b);
}
