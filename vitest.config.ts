import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // the tests wait on processes, sockets and SSH hosts far more than they compute: three files at
    // a time on two cores (the default would be one) keeps the suite near ten minutes (four is no faster)
    maxWorkers: 3,
    minWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
