import { defineConfig } from 'vitest/config';

// Two tiers. `fast`: everything in process, with fakes of the ports where a sandbox or a server
// would be (seconds). `real`: against the real sandbox, servers, browser and model (minutes);
// a test file is in it when its name ends in `.real.test.ts`. `npm test` runs fast, then real.
const TESTS = ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'];
const REAL = ['packages/*/test/**/*.real.test.ts', 'apps/*/test/**/*.real.test.ts', 'test/**/*.real.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'fast', include: TESTS, exclude: ['**/node_modules/**', ...REAL] } },
      { extends: true, test: { name: 'real', include: REAL } },
    ],
  },
});
