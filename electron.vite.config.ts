import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';

/** Fails the preload build when a chunk is shared between preloads (a sandbox cannot load it). */
function onePreloadFile(): Plugin {
  return {
    name: 'one-preload-file',
    generateBundle(_options, bundle) {
      const shared = Object.values(bundle).filter((c) => c.type === 'chunk' && !c.isEntry);
      if (shared.length > 0)
        this.error(
          `A preload must be one file, but ${shared.map((c) => c.fileName).join(', ')} was split out`,
        );
    },
  };
}

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve('src/main/index.ts') } },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin({ exclude: ['zod'] }), onePreloadFile()],
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be one CommonJS file: the local window's (index) and the team
      // server window's (team) share no module at run time (src/shared/team-client.ts), so no
      // chunk is split out — and the build fails if one ever is (onePreloadFile).
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts'), team: resolve('src/preload/team.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    plugins: [react()],
    build: { outDir: 'out/renderer', rollupOptions: { input: resolve('src/renderer/index.html') } },
  },
});
