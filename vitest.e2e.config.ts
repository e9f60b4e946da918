import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // A browser on a loaded 2-core CI machine: give every expect.poll time, not 1 s.
    expect: { poll: { timeout: 10_000 } },
  },
});
