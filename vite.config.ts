import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./client', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/client', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    port: 5173,
    proxy: {
      '/trpc': {
        target: `http://127.0.0.1:${process.env.PORT ?? 3000}`,
        // Keep the browser's Host header: the API then sees the page's own
        // origin, so its same-origin check on mutations (and the host-only
        // session cookie) work in development exactly as in production.
        changeOrigin: false,
      },
    },
  },
});
