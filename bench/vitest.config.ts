import { defineConfig } from 'vitest/config';

// Benchmarks written as vitest files (to reuse the tests' server starters): run one at a time,
// never as part of `npm test`.
export default defineConfig({
  test: { include: ['bench/**/*.bench.ts'], pool: 'forks', testTimeout: 3_600_000, hookTimeout: 600_000, fileParallelism: false },
});
