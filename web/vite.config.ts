import { rmSync } from 'node:fs';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The gateway adds its own files to web/dist (Swagger UI for /docs), so the build removes only
 * what an earlier build of the page wrote instead of emptying the folder.
 */
function removeEarlierBuild(): Plugin {
  let outDir = '';
  return {
    name: 'remove-earlier-build',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    buildStart() {
      rmSync(path.join(outDir, 'assets'), { recursive: true, force: true });
      rmSync(path.join(outDir, 'index.html'), { force: true });
    },
  };
}

// The gateway serves web/dist as static assets; in `vite dev` the API is proxied to a local gateway.
export default defineConfig({
  plugins: [react(), removeEarlierBuild()],
  build: { outDir: 'dist', emptyOutDir: false, sourcemap: false },
  server: {
    proxy: { '/v1': process.env.API_ORIGIN ?? 'http://127.0.0.1:8787' },
  },
});
