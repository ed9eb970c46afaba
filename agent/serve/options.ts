// What the static server serves and how, read from PM2's environment variables (PM2_SERVE_*),
// which `pmx serve` sets and an ecosystem app with `script: 'serve'` sets itself.
import { resolve } from 'node:path';

export interface ServeOptions {
  /** Absolute directory served; nothing outside it is ever read. */
  root: string;
  port: number;
  host: string;
  /** Serve `homepage` for paths that name no file (single-page apps). */
  spa: boolean;
  /** URL path of the page served for '/' and, with `spa`, for unknown paths. */
  homepage: string;
  basicAuth: { username: string; password: string } | null;
  /** Serve names that begin with a dot (`.env`, `.git/`); `.well-known/` is always served. */
  dotfiles: boolean;
}

/**
 * PM2's defaults: port 8080 on every address, the working directory, '/index.html'. Basic auth
 * asked for without a user name or a password throws: PM2 then serves to anyone (or to an empty
 * user and password), which is not what was asked.
 */
export function serveOptions(env: NodeJS.ProcessEnv, argv: string[]): ServeOptions {
  const [path, port, host] = argv;
  const username = env.PM2_SERVE_BASIC_AUTH_USERNAME ?? '';
  const password = env.PM2_SERVE_BASIC_AUTH_PASSWORD ?? '';
  const homepage = env.PM2_SERVE_HOMEPAGE || '/index.html';
  if (env.PM2_SERVE_BASIC_AUTH === 'true' && (username === '' || password === '')) {
    throw new Error(`PM2_SERVE_BASIC_AUTH is true but PM2_SERVE_BASIC_AUTH_${username === '' ? 'USERNAME' : 'PASSWORD'} is empty: refusing to serve without the credentials asked for`);
  }
  return {
    root: resolve(env.PM2_SERVE_PATH || path || '.'),
    port: Number(env.PM2_SERVE_PORT || port || 8080),
    host: env.PM2_SERVE_HOST || host || '0.0.0.0',
    spa: env.PM2_SERVE_SPA === 'true',
    homepage: homepage.startsWith('/') ? homepage : `/${homepage}`,
    basicAuth: env.PM2_SERVE_BASIC_AUTH === 'true' ? { username, password } : null,
    dotfiles: env.PM2_SERVE_DOTFILES === 'true',
  };
}
