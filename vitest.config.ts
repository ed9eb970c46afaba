import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // the tests wait on processes, sockets and SSH hosts far more than they compute: three files at
    // a time on two cores (the default would be one) keeps the suite near ten minutes (four is no faster)
    maxWorkers: 3,
    minWorkers: 1,
    // a budget, not a wait: process creation on this class of 2-core VM varies fivefold from day to
    // day (1,000 spawns in 1.2 s to 7 s), and a test of 20 real commands took 34 s on a slow day
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
