// The agent's random UUIDs (unique_id, launch markers): version 4's layout, as crypto.randomUUID()
// gives, none made twice across more than one refill of the pool, and the child environment built
// key by key as the object spread it replaced built it.
import { describe, expect, it } from 'vitest';
import { randomUUID } from '../../../agent/process/random-id.js';
import { childEnvironment, type ChildEnvInput } from '../../../agent/process/child-env.js';
import { APP_DEFAULTS, type AppSpec } from '../../../agent/protocol/app-spec.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomUUID', () => {
  it('makes version 4 UUIDs, none twice over several pools', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomUUID();
      expect(id).toMatch(V4);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
  });

  it('spreads its bits: every hex digit of the random part appears', () => {
    const digits = new Set(Array.from({ length: 64 }, () => randomUUID().replace(/-/g, '')).join(''));
    expect(digits.size).toBe(16);
  });
});

describe('childEnvironment', () => {
  const spec = (env: Record<string, string>, extra: Partial<AppSpec> = {}): AppSpec =>
    ({ ...APP_DEFAULTS, name: 'web', script: '/srv/web.js', cwd: '/srv', interpreter: 'node', env, app_env: {}, ...extra }) as AppSpec;
  const input = (s: AppSpec): ChildEnvInput => ({
    spec: s,
    id: 3,
    instance: 1,
    logTargets: { out: '/l/out', err: '/l/err', combined: null } as never,
    pidFile: '/p/web-3.pid',
    createdAt: 1000,
    uniqueId: 'u-1',
    restarts: 2,
    unstableRestarts: 0,
    now: 2000,
  });
  /** What it was before: the spread, as a reference. */
  const spread = (i: ChildEnvInput): Record<string, string> => {
    const { NOTIFY_SOCKET: _s, WATCHDOG_USEC: _u, WATCHDOG_PID: _p, ...env } = i.spec.env;
    const base = childEnvironment({ ...i, spec: { ...i.spec, env: {} } });
    const pm2 = Object.fromEntries(Object.entries(base).filter(([key]) => !['name', 'namespace', 'pm_id', 'unique_id', i.spec.instance_var, i.spec.increment_var ?? ''].includes(key)));
    return {
      ...pm2,
      ...env,
      name: i.spec.name,
      namespace: i.spec.namespace,
      pm_id: String(i.id),
      unique_id: i.uniqueId,
      [i.spec.instance_var]: String(i.instance),
      ...(i.spec.increment_var ? { [i.spec.increment_var]: String(Number(i.spec.env[i.spec.increment_var] ?? 0) + i.instance) } : {}),
    };
  };

  it('has the same keys, values and order as the spread it replaced', () => {
    const env = JSON.parse('{"PATH":"/bin","exec_mode":"mine","name":"shadowed","NOTIFY_SOCKET":"/run/n","WATCHDOG_USEC":"5","__proto__":"p","10":"ten","PORT":"3000"}') as Record<string, string>;
    for (const s of [spec(env), spec(env, { instance_var: 'INSTANCE_ID', increment_var: 'PORT' })]) {
      const made = childEnvironment(input(s));
      expect(JSON.stringify(made)).toBe(JSON.stringify(spread(input(s))));
      expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(made, '__proto__')).toBe(true);
      expect(made.NOTIFY_SOCKET).toBeUndefined();
      expect(made.exec_mode).toBe('mine');
      expect(made.name).toBe('web');
    }
  });
});
