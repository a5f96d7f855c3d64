import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['cli/**/*.test.ts', 'plugin/**/*.test.ts', 'bot/**/*.test.ts', 'shared/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['node_modules', 'dist', 'plugin/bridge/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
