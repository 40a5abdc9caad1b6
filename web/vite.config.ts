import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves web/dist as static assets; in `vite dev` the API is proxied to a local gateway.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    proxy: { '/v1': process.env.API_ORIGIN ?? 'http://127.0.0.1:8787' },
  },
});
