// Rendering deploy-templates/init/*: each `{{name}}` or `{{name|context}}` is replaced by a value
// escaped for the template's syntax, so a path with spaces, quotes, `%` or `$` stays one word.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from './errors.js';
import { LAYOUTS, rcName, type InitSystem, type TemplateFormat } from './systems.js';
import { packageRoot, type StartupValues } from './values.js';

/** A rendered hook: its text, where it goes and with which mode. */
export interface RenderedService {
  system: InitSystem;
  /** Absolute path on the target system (before any destination root). */
  path: string;
  mode: number;
  text: string;
}

/** How a value is written in one place of a template. */
type Escape = (value: string) => string;

/** Names, numbers and user names: written as they are, so only these characters are allowed. */
const RAW = /^[A-Za-z0-9_.@:+-]+$/;

const ESCAPES: Record<TemplateFormat, Record<string, Escape>> = {
  // systemd.syntax: `%` starts a specifier everywhere; `$` expands variables in Exec lines only
  systemd: {
    word: (value) => systemdQuote(value.replace(/%/g, '%%').replace(/\$/g, '$$$$')),
    env: (value) => systemdQuote(value.replace(/%/g, '%%')),
  },
  plist: {
    word: (value) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;'),
  },
  shell: { word: shellQuote },
  // upstart's own parser reads `env K="v"`; `exec` lines go to /bin/sh: double quotes suit both
  upstart: {
    word: (value) => (/^[A-Za-z0-9_./:=@+,-]+$/.test(value) ? value : `"${value.replace(/[\\"$`]/g, (char) => `\\${char}`)}"`),
  },
};

/** Renders the hook of `system` with `values`. */
export function renderService(system: InitSystem, values: StartupValues): RenderedService {
  const layout = LAYOUTS[system];
  const template = readFileSync(join(packageRoot(), 'deploy-templates/init', layout.template), 'utf8');
  return { system, path: layout.destination(values.serviceName), mode: layout.mode, text: renderTemplate(template, layout.format, templateVariables(values)) };
}

/** The variables templates may use: the values, plus command lines composed for shell scripts. */
export function templateVariables(values: StartupValues): Record<string, string> {
  const env = `PMX_HOME=${shellQuote(values.pmxHome)} PATH=${shellQuote(values.path)}`;
  const run = (...args: string[]): string => `exec env ${env} ${args.map(shellQuote).join(' ')}`;
  // SysV's loop sets nothing a service could be told by: it is named, so that `pmx update` knows something restarts the agent
  const supervised = (...args: string[]): string => `exec env PMX_SUPERVISOR=systemv ${env} ${args.map(shellQuote).join(' ')}`;
  return {
    serviceName: values.serviceName,
    rcName: rcName(values.serviceName),
    user: values.user,
    home: values.home,
    pmxHome: values.pmxHome,
    node: values.node,
    runtime: values.runtime,
    cli: values.cli,
    path: values.path,
    stopTimeoutSec: String(values.stopTimeoutSec),
    pmxHomeAssignment: `PMX_HOME=${values.pmxHome}`,
    pathAssignment: `PATH=${values.path}`,
    // the agent in the foreground, and `pmx kill`, as the user (su -c takes one command line)
    runCommand: supervised(values.node, values.runtime, '--resurrect'),
    killCommand: run(values.node, values.cli, 'kill'),
    // openrc and rc.subr eval their argument variables: the words inside are quoted once more
    runtimeArgs: `${shellQuote(values.runtime)} --resurrect`,
    daemonArgs: ['-f', '-r', '-P', `/var/run/${rcName(values.serviceName)}.pid`, '-u', values.user, '--', values.node, values.runtime, '--resurrect'].map(shellQuote).join(' '),
  };
}

/** Replaces every placeholder; an unknown name or context, or a leftover `{{`, is an error. */
export function renderTemplate(template: string, format: TemplateFormat, variables: Record<string, string>): string {
  const rendered = template.replace(/\{\{\s*([A-Za-z]+)(?:\|([a-z]+))?\s*\}\}/g, (_match, name: string, context: string | undefined) => {
    const value = variables[name];
    if (value === undefined) throw new StartupError(`the ${format} template uses an unknown variable '${name}'`, { code: 'TEMPLATE_ERROR', data: { name } });
    checkPrintable(name, value);
    if (context === 'raw') return raw(name, value);
    const escape = ESCAPES[format][context ?? 'word'];
    if (!escape) throw new StartupError(`the ${format} template uses an unknown context '${context}' for '${name}'`, { code: 'TEMPLATE_ERROR', data: { name, context } });
    return escape(value);
  });
  if (rendered.includes('{{')) throw new StartupError(`the ${format} template has a malformed placeholder near '${rendered.slice(rendered.indexOf('{{'), rendered.indexOf('{{') + 30)}'`, { code: 'TEMPLATE_ERROR' });
  return rendered;
}

/** `value` as one single-quoted POSIX shell word (bare when nothing in it is special). */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_./:=@+,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** One word of a systemd unit: bare when safe, else double-quoted with C-style escapes. */
function systemdQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_./:=@%+,-]+$/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

function raw(name: string, value: string): string {
  if (RAW.test(value)) return value;
  throw new StartupError(`'${value}' (${name}) may hold only letters, digits and '_ . @ : + -' where it is written`, { code: 'UNSAFE_VALUE', data: { name, value } });
}

/** No value may hold a control character: none of these syntaxes can carry a newline safely. */
function checkPrintable(name: string, value: string): void {
  if (!/[\u0000-\u001f\u007f]/.test(value)) return;
  throw new StartupError(`${name} holds a control character (${JSON.stringify(value)}): it cannot be written into an init file`, { code: 'UNSAFE_VALUE', hint: 'use a path without newlines or tabs', data: { name, value } });
}
