// PM2's global options on a `deploy` command line. PM2 takes every one of them on any command and
// hands the words to pm2-deploy, which ignores all but its own: `pm2 deploy production --env
// production` deploys. pmx takes them too, before exec's command (whose options are its own).
import { EXEC_WORDS } from './args.js';

/** PM2's global options that take a value (`--env production`, `--env=production`). */
const WITH_VALUE = new Set([
  '--ext', '-n', '--name', '--interpreter', '--interpreter-args', '--node-args', '-o', '--output', '-e', '--error', '--log-type',
  '--log-date-format', '--env', '-i', '--instances', '-p', '--pid', '-k', '--kill-timeout', '--listen-timeout', '--max-memory-restart',
  '--restart-delay', '--exp-backoff-restart-delay', '-u', '--user', '--uid', '--gid', '--namespace', '--cwd', '--hp', '--service-name',
  '-c', '--cron', '--cron-restart', '--only', '--ignore-watch', '--watch-delay', '--sort', '--stop-exit-codes',
]);

/** Those whose value may be left out: it is the next word unless that is an option, as commander reads them. */
const OPTIONAL_VALUE = new Set(['-l', '--log', '--filter-env', '--max-restarts', '--watch']);

/** PM2's global options that take no value (-s, --silent, --no-color and -m are the program's, read before). */
const FLAGS = new Set([
  '--time', '--disable-logs', '-a', '--update-env', '-x', '--execute-command', '--shutdown-with-message', '--wait-ip', '-w', '--write',
  '--no-daemon', '--source-map-support', '--disable-source-map-support', '--wait-ready', '--merge-logs', '--no-vizion', '--no-autostart',
  '--no-autorestart', '--no-treekill', '--no-pmx', '--no-automation', '--trace', '--disable-trace', '--attach', '--v8',
  '--event-loop-inspector', '--deep-monitoring',
]);

/** The words without PM2's options; `force` for `-f` (see below); `ignored`: the options taken and ignored, as PM2's deploy ignores them. */
export interface Pm2Options {
  words: string[];
  force: boolean;
  ignored: string[];
}

/**
 * Takes PM2's options out of the words before exec's command. `-f` is --force: PM2 hands it to
 * pm2-deploy, whose usage gives `-f, --force: skip local change checking` (its parser reads `-F`,
 * which PM2's own parser refuses, so under PM2 `-f` checks all the same): pmx does what the usage says.
 */
export function takePm2Options(words: string[]): Pm2Options {
  const execAt = words.findIndex((word) => EXEC_WORDS.has(word));
  const end = execAt < 0 ? words.length : execAt;
  const kept: string[] = [];
  const ignored: string[] = [];
  let force = false;
  for (let index = 0; index < end; index++) {
    const word = words[index]!;
    const name = word.split('=')[0]!;
    if (word === '-f') force = true;
    else if (FLAGS.has(word)) ignored.push(word);
    else if (WITH_VALUE.has(name) || OPTIONAL_VALUE.has(name)) {
      ignored.push(name);
      const next = words[index + 1];
      const takesNext = !word.includes('=') && index + 1 < end && next !== undefined && (WITH_VALUE.has(name) || !next.startsWith('-'));
      if (takesNext) index++;
    } else kept.push(word);
  }
  return { words: [...kept, ...words.slice(end)], force, ignored };
}
