import { defineConfig } from 'vitest/config';

const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' as const };

// One project per package: only the training tests load TensorFlow.js (on wasm, as users run it),
// so the inference and service suites prove they run without it.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'training',
          include: ['test/training/**/*.test.ts'],
          exclude: ['test/training/**/webgpu*.test.ts'],
          setupFiles: ['test/helpers/tf-setup.ts'],
        },
      },
      // webgpu picks its backend itself (the software adapter where no GPU exists, as in CI)
      { test: { ...shared, name: 'webgpu', include: ['test/training/**/webgpu*.test.ts'] } },
      { test: { ...shared, name: 'packages', include: ['test/**/*.test.ts'], exclude: ['test/training/**'] } },
    ],
  },
});
