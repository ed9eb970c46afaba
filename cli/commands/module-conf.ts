// `pmx set|unset|get|multiset|conf|config`: PM2's module_conf.json, kept in the agent home. A value
// set as `<app>:<key>` is given to the app of that name as an environment variable, as PM2 gives a
// module its configuration: at once (the app restarts with it) and at every later start.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';

type Conf = Record<string, unknown>;

const DANGEROUS = new Set(['__proto__', 'constructor', 'prototype']);

/** Where the configuration lives: PMX_HOME/module_conf.json. */
export function confFile(ctx: CommandContext): string {
  return join(ctx.home.root, 'module_conf.json');
}

/** The whole configuration ({} while none was set). */
export function readConf(file: string): Conf {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Conf) : {};
  } catch {
    return {};
  }
}

/** The variables the configuration gives an app: the string values under its name (`conf` read once for all of a start's apps). */
export function confEnv(conf: Conf, app: string): Record<string, string> {
  const section = conf[app];
  if (!section || typeof section !== 'object') return {};
  return Object.fromEntries(Object.entries(section as Conf).filter(([, value]) => value !== null && typeof value !== 'object').map(([key, value]) => [key, String(value)]));
}

/** `module:key` or `module.key` into its path, as PM2 splits it (quotes keep a dot or colon). */
function splitKey(key: string): string[] {
  const separator = key.includes('.') ? '.' : key.includes(':') ? ':' : null;
  const parts = separator ? (key.match(separator === '.' ? /(?:[^."]+|"[^"]*")+/g : /(?:[^:"]+|"[^"]*")+/g) ?? []).map((part) => part.replace(/"/g, '')) : [key];
  if (parts.some((part) => DANGEROUS.has(part))) throw new CliError(`invalid key '${key}'`, { code: 'BAD_ARGUMENT' });
  return parts;
}

function writeConf(file: string, conf: Conf): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(conf, null, 4), { mode: 0o600 });
  renameSync(temp, file);
}

/** `pmx set <key> <value>`: writes it, then restarts the app the key names (if one runs) with it. */
export async function set(ctx: CommandContext, key: string | undefined, value: string | undefined): Promise<void> {
  if (!key || value === undefined) throw new CliError('set: usage: pmx set <app>:<key> <value>', { code: 'BAD_ARGUMENT' });
  await setMany(ctx, [[key, value]]);
}

/** `pmx multiset "k1 v1 k2 v2"`. */
export async function multiset(ctx: CommandContext, serial: string): Promise<void> {
  const words = serial.match(/(?:[^ "]+|"[^"]*")+/g) ?? [];
  if (words.length === 0 || words.length % 2 !== 0) throw new CliError(`multiset: expected "key value key value ...", got '${serial}'`, { code: 'BAD_ARGUMENT' });
  const pairs: [string, string][] = [];
  for (let at = 0; at < words.length; at += 2) pairs.push([words[at]!, words[at + 1]!]);
  await setMany(ctx, pairs);
}

async function setMany(ctx: CommandContext, pairs: [string, string][]): Promise<void> {
  const file = confFile(ctx);
  const conf = readConf(file);
  for (const [key, value] of pairs) {
    const path = splitKey(key);
    let node = conf;
    for (const part of path.slice(0, -1)) {
      if (!node[part] || typeof node[part] !== 'object') node[part] = {};
      node = node[part] as Conf;
    }
    node[path.at(-1)!] = value;
  }
  writeConf(file, conf);
  const first = splitKey(pairs[0]![0]);
  if (first.length > 1) await restartWith(ctx, first[0]!, file);
  printConf(ctx, conf, first.length > 1 ? first[0]! : null);
  // no pm2-logrotate module runs under pmx: say what the setting does and does not do
  if (pairs.some(([key]) => splitKey(key)[0] === 'pm2-logrotate')) {
    ctx.err.write("[PMX][WARN] pm2-logrotate settings are kept (pmx import pm2 turns them into each app's log_rotate) but rotate nothing by themselves: pmx rotates with each app's `log_rotate` (ecosystem file), or after an outside logrotate with `pmx reloadLogs`\n");
  }
}

/** `pmx unset <key>` (`all` empties the configuration). */
export async function unset(ctx: CommandContext, key: string): Promise<void> {
  const file = confFile(ctx);
  let conf = readConf(file);
  if (key === 'all') conf = {};
  else {
    const path = splitKey(key);
    let node: Conf | undefined = conf;
    for (const part of path.slice(0, -1)) node = node && typeof node[part] === 'object' ? (node[part] as Conf) : undefined;
    if (node) delete node[path.at(-1)!];
  }
  writeConf(file, conf);
  printConf(ctx, conf, null);
}

/** `pmx get [key]`: one value, a module's keys, or everything. */
export function get(ctx: CommandContext, key: string | undefined): void {
  const conf = readConf(confFile(ctx));
  if (!key || key === 'all') return printConf(ctx, conf, null);
  const path = splitKey(key);
  let value: unknown = conf;
  for (const part of path) value = value && typeof value === 'object' ? (value as Conf)[part] : undefined;
  if (value === undefined || value === null || value === '') throw new CliError(`unknown key '${key}'`, { code: 'NOT_FOUND', hint: "run 'pmx get' to see every key" });
  if (path.length === 1) {
    printConf(ctx, conf, key);
    ctx.out.write('Modules configuration. Copy/Paste line to edit values.\n');
    return;
  }
  ctx.out.write(`Value for module ${path[0]} key ${path.slice(1).join('.')}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
}

/** `pmx conf [key] [value]` / `pmx config <key> [value]`: get with a key, set with a value too. */
export async function conf(ctx: CommandContext, key: string | undefined, value: string | undefined): Promise<void> {
  if (key && value !== undefined) await set(ctx, key, value);
  else get(ctx, key);
}

/** PM2's listing: `Module: <name>` then one `pmx set` line per key. */
function printConf(ctx: CommandContext, conf: Conf, only: string | null): void {
  for (const [module, section] of Object.entries(conf)) {
    if (only !== null && only !== module) continue;
    if (!section || typeof section !== 'object') continue;
    ctx.out.write(`Module: ${module}\n`);
    for (const [key, value] of Object.entries(section as Conf)) ctx.out.write(`$ pmx set ${module}:${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
  }
}

async function restartWith(ctx: CommandContext, app: string, file: string): Promise<void> {
  await withAgent(ctx, async (agent) => {
    const procs = await agent.call('list', {});
    if (!procs.some((proc) => proc.name === app)) return;
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
    await agent.call('restart', { selector: { kind: 'name', name: app }, env: { ...env, ...confEnv(readConf(file), app) } });
    ctx.out.write(`[PMX] Module ${app} restarted\n`);
  });
}
