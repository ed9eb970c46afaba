// `pmx serve [path] [port]`: the static server started as a managed app named
// static-page-server-<port>, with PM2's flags and PM2_SERVE_* variables.
import { resolve } from 'node:path';
import { type CommandContext } from './context.js';
import type { StartFlags } from './apps-input.js';
import { startSpecs } from './start.js';
import { SERVE_WORD } from '../ecosystem/serve-script.js';
import { CliError } from '../client/errors.js';
import { guardServeRoot } from '../../agent/serve/resolve-path.js';

/** Flags of `pmx serve`, as commander gives them (PM2's names). */
export interface ServeFlags {
  port?: string;
  name?: string;
  spa?: boolean;
  basicAuthUsername?: string;
  basicAuthPassword?: string;
  dotfiles?: boolean;
}

/** `pmx serve [path] [port]`: PM2_SERVE_PATH/PORT in the shell win over the arguments, as in PM2. */
export async function serve(ctx: CommandContext, path: string | undefined, port: string | undefined, flags: ServeFlags): Promise<void> {
  if ((flags.basicAuthUsername !== undefined || flags.basicAuthPassword !== undefined) && !(flags.basicAuthUsername && flags.basicAuthPassword)) {
    // PM2 then serves without asking anyone for anything (an unset shell variable given as "$PASS" is an empty one)
    throw new CliError(`--basic-auth-username and --basic-auth-password go together: ${flags.basicAuthUsername ? '--basic-auth-password' : '--basic-auth-username'} is missing or empty (nothing was started)`, { code: 'BAD_ARGUMENT' });
  }
  const shell = process.env;
  const servePort = shell.PM2_SERVE_PORT || port || flags.port || '8080';
  const servePath = resolve(shell.PM2_SERVE_PATH || path || '.');
  try {
    // a root another user could switch (a folder of theirs on its way) would have this user's server read / for them
    guardServeRoot(servePath);
  } catch (error) {
    throw new CliError(`serve: ${(error as Error).message} (nothing was started)`, { code: 'BAD_ARGUMENT', file: servePath });
  }
  const serveEnv: Record<string, string> = {
    PM2_SERVE_PORT: servePort,
    PM2_SERVE_PATH: servePath,
    PM2_SERVE_SPA: flags.spa ? 'true' : 'false',
    ...(flags.dotfiles ? { PM2_SERVE_DOTFILES: 'true' } : {}),
  };
  if (flags.basicAuthUsername && flags.basicAuthPassword) {
    serveEnv.PM2_SERVE_BASIC_AUTH = 'true';
    serveEnv.PM2_SERVE_BASIC_AUTH_USERNAME = flags.basicAuthUsername;
    serveEnv.PM2_SERVE_BASIC_AUTH_PASSWORD = flags.basicAuthPassword;
  }
  const { specFromCli } = await import('../ecosystem/index.js');
  const startFlags: StartFlags = { name: flags.name ?? `static-page-server-${servePort}`, cwd: servePath };
  const spec = specFromCli(SERVE_WORD, startFlags, [], { ...shell, ...serveEnv }, process.cwd());
  // declared by the app, so that `restart --update-env` from another shell keeps them
  spec.app_env = { ...spec.app_env, ...serveEnv };
  await startSpecs(ctx, [spec], startFlags, 'start');
}
