// The end-to-end suite: `npm run test:e2e` (scripts/e2e.sh builds what it needs first). Its files end in .e2e.ts,
// so the root config (`npm test`) never picks them up. One file at a time: they share one cluster per file.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    reporters: ['verbose'],
  },
});
