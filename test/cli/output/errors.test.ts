// One reporter for every error: pmx's own (any PmxError) as their line and hint without a stack,
// anything else as its message, with its stack only when PMX_DEBUG is set.
import { afterEach, describe, expect, it } from 'vitest';
import { PmxError } from '../../../agent/protocol/errors.js';
import { FramingError } from '../../../agent/protocol/framing.js';
import { InvalidTarget } from '../../../agent/protocol/selector.js';
import { StartupError } from '../../../cli/startup/errors.js';
import { AgentFault } from '../../../agent/fault.js';
import { CliError } from '../../../cli/client/errors.js';
import { DeployConfigError } from '../../../cli/deploy/errors.js';
import { DeployStepError } from '../../../cli/deploy/run-error.js';
import { EcosystemError, combineErrors } from '../../../cli/ecosystem/errors.js';
import { errorJson, errorLine, reportError } from '../../../cli/output/errors.js';
import { TransportError } from '../../../cli/transport/types.js';

function report(error: unknown): string {
  const chunks: string[] = [];
  reportError(error, { write: (chunk: string) => chunks.push(chunk) > 0 } as unknown as NodeJS.WritableStream);
  return chunks.join('');
}

const debug = process.env.PMX_DEBUG;
afterEach(() => {
  if (debug === undefined) delete process.env.PMX_DEBUG;
  else process.env.PMX_DEBUG = debug;
});

interface Case {
  error: PmxError;
  name: string;
  code: string;
  /** The `[PMX][ERROR]` line, and the hint line when there is one. */
  printed: string;
  context: Record<string, string>;
}

const cases: Case[] = [
  {
    error: new StartupError("unknown init system 'upstart2'", { code: 'UNKNOWN_INIT_SYSTEM', hint: 'use one of systemd, openrc' }),
    name: 'StartupError',
    code: 'UNKNOWN_INIT_SYSTEM',
    printed: "[PMX][ERROR] unknown init system 'upstart2'\n[PMX] use one of systemd, openrc\n",
    context: {},
  },
  {
    error: new FramingError('not a JSON line: Unexpected token', { code: 'NOT_JSON' }),
    name: 'FramingError',
    code: 'NOT_JSON',
    printed: '[PMX][ERROR] not a JSON line: Unexpected token\n',
    context: {},
  },
  {
    error: new AgentFault("no process named 'api'", { code: 'NOT_FOUND', app: 'api', data: { name: 'api' } }),
    name: 'AgentFault',
    code: 'NOT_FOUND',
    printed: "[PMX][ERROR] no process named 'api'\n",
    context: { app: 'api' },
  },
  {
    error: new DeployStepError('/srv/app is locked by ops@laptop', { code: 'LOCKED', host: 'web1', phase: 'lock', hint: 'wait for that deploy to finish' }),
    name: 'DeployStepError',
    code: 'LOCKED',
    printed: '[PMX][ERROR] web1: /srv/app is locked by ops@laptop\n[PMX] wait for that deploy to finish\n',
    context: { host: 'web1', phase: 'lock' },
  },
  {
    error: new DeployConfigError("--rolling: expected a step, got 'x'", { file: '/app/ecosystem.config.js', key: '--rolling' }),
    name: 'DeployConfigError',
    code: 'DEPLOY_CONFIG',
    printed: "[PMX][ERROR] --rolling: expected a step, got 'x'\n",
    context: { file: '/app/ecosystem.config.js', key: '--rolling' },
  },
  {
    error: new EcosystemError("ecosystem.config.js: apps[0].instances: expected a number, got 'x' (string)", { code: 'ECOSYSTEM_INVALID', file: 'ecosystem.config.js', app: 'web', key: 'instances', value: 'x' }),
    name: 'EcosystemError',
    code: 'ECOSYSTEM_INVALID',
    printed: "[PMX][ERROR] ecosystem.config.js: apps[0].instances: expected a number, got 'x' (string)\n",
    context: { app: 'web', file: 'ecosystem.config.js', key: 'instances' },
  },
  {
    error: new TransportError('connection refused (is sshd running, on port 22?)', { code: 'CONNECT_REFUSED', host: 'web2', address: 'deploy@10.0.0.2:22' }),
    name: 'TransportError',
    code: 'CONNECT_REFUSED',
    printed: '[PMX][ERROR] web2 (deploy@10.0.0.2:22): connection refused (is sshd running, on port 22?)\n',
    context: { host: 'web2' },
  },
  {
    error: new CliError('cannot connect to /root/.pmx/agent.sock', { code: 'AGENT_UNREACHABLE', hint: "run 'pmx ping'" }),
    name: 'CliError',
    code: 'AGENT_UNREACHABLE',
    printed: "[PMX][ERROR] cannot connect to /root/.pmx/agent.sock\n[PMX] run 'pmx ping'\n",
    context: {},
  },
  {
    error: new InvalidTarget('invalid regular expression /(/: Unterminated group'),
    name: 'InvalidTarget',
    code: 'INVALID_TARGET',
    printed: '[PMX][ERROR] invalid regular expression /(/: Unterminated group\n',
    context: {},
  },
];

describe('reportError', () => {
  it.each(cases)('reports a $name by its line and hint, never its stack', ({ error, name, code, printed, context }) => {
    process.env.PMX_DEBUG = '';
    expect(error).toBeInstanceOf(PmxError);
    expect(error).toMatchObject({ name, code });
    expect(error.context).toEqual(context);
    expect(report(error)).toBe(printed);
  });

  it.each(cases)('shows a $name with its code and context under PMX_DEBUG, still without a stack', ({ error, code, printed, context }) => {
    process.env.PMX_DEBUG = '1';
    const fields = Object.entries(context).map(([field, value]) => ` ${field}=${JSON.stringify(value)}`);
    expect(report(error)).toBe(`${printed}[PMX] ${error.name} code=${code}${fields.join('')}\n`);
  });

  it('reports an unexpected error by its message, with its stack only when PMX_DEBUG is set', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'pid')");
    process.env.PMX_DEBUG = '';
    expect(report(bug)).toBe("[PMX][ERROR] Cannot read properties of undefined (reading 'pid')\n");
    process.env.PMX_DEBUG = '1';
    expect(report(bug)).toBe(`[PMX][ERROR] Cannot read properties of undefined (reading 'pid')\n${bug.stack}\n`);
    expect(report('a thrown string')).toBe('[PMX][ERROR] a thrown string\n');
  });

  it('keeps one line per problem of a combined error, with control characters escaped', () => {
    const problems = [new EcosystemError('apps[0].name: expected a string', { code: 'ECOSYSTEM_INVALID' }), new EcosystemError('apps[1].script: \u001b[2Jexpected a path', { code: 'ECOSYSTEM_INVALID' })];
    expect(report(combineErrors(problems))).toBe('[PMX][ERROR] apps[0].name: expected a string\napps[1].script: \\e[2Jexpected a path\n');
  });
});

describe('errorLine', () => {
  it("names the error's own host, or the one it happened on when the error names none", () => {
    const refused = new TransportError('connection refused', { code: 'CONNECT_REFUSED', host: 'web2', address: 'deploy@10.0.0.2:22 via bastion' });
    expect(errorLine(refused, 'other')).toBe('web2 (deploy@10.0.0.2:22 via bastion): connection refused');
    expect(errorLine(new DeployStepError('git fetch failed (exit 128)', { code: 'COMMAND_FAILED', host: 'web1' }))).toBe('web1: git fetch failed (exit 128)');
    expect(errorLine(new DeployStepError('the pmx bundle was not built', { code: 'BUNDLE_MISSING' }), 'web3')).toBe('web3: the pmx bundle was not built');
    expect(errorLine(new Error('no connection'), 'web3')).toBe('web3: no connection');
    expect(errorLine(new Error('no connection'))).toBe('no connection');
  });
});

describe('error codes', () => {
  it('are the `code` of --json outputs, with ERROR for an error that has none', () => {
    expect(errorJson(cases[3]!.error)).toEqual({ code: 'LOCKED', message: 'web1: /srv/app is locked by ops@laptop', hint: 'wait for that deploy to finish', host: 'web1', phase: 'lock' });
    expect(errorJson(new DeployConfigError('bad', { file: 'f.js' }))).toEqual({ code: 'DEPLOY_CONFIG', message: 'bad', hint: null, file: 'f.js' });
    expect(errorJson(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }))).toEqual({ code: 'ENOENT', message: 'ENOENT: no such file', hint: null });
    expect(errorJson(new Error('oops'))).toEqual({ code: 'ERROR', message: 'oops', hint: null });
  });

  it('cross the wire unchanged: a fault is code, message and data, and comes back as a CliError with that code', () => {
    const fault = new AgentFault("no process named 'api'", { code: 'NOT_FOUND', data: { name: 'api' } });
    expect(fault.toWire()).toEqual({ code: 'NOT_FOUND', message: "no process named 'api'", data: { name: 'api' } });
    expect(CliError.fromFault(fault.toWire())).toMatchObject({ name: 'CliError', code: 'NOT_FOUND', message: "no process named 'api'", hint: "run 'pmx ls' to see the processes", data: { name: 'api' } });
  });

  it('cross the wire with their context: the app or file a fault is about reaches --json, and junk context is dropped', () => {
    const fault = new AgentFault('api: could not open its listening sockets', { code: 'INVALID_REQUEST', app: 'api', data: { app: 'api' } });
    const wire = JSON.parse(JSON.stringify(fault.toWire()));
    expect(wire.context).toEqual({ app: 'api' });
    expect(errorJson(CliError.fromFault(wire))).toEqual({ code: 'INVALID_REQUEST', message: 'api: could not open its listening sockets', hint: null, app: 'api' });
    const forged = CliError.fromFault({ code: 'DUMP_INVALID', message: 'm', context: { file: '/h/dump.pmx', key: 7, extra: 'x' } as never });
    expect(forged.context).toEqual({ file: '/h/dump.pmx' });
  });

  it('keep a framing error too long to read apart from a bad line', () => {
    expect(new FramingError('message longer than 16 bytes', { code: 'MESSAGE_TOO_LARGE' }).tooLong).toBe(true);
    expect(new FramingError('not a JSON line', { code: 'NOT_JSON' }).tooLong).toBe(false);
  });
});
