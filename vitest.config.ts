import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/release-process-resources.ts'],
    // End-to-end tests boot real QEMU under TCG; two cores cannot run them side by side without skewing timings.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
