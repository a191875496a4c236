import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// Built by `npm run build:web` (vite build web) into web/dist, which `leadrelay serve` serves at `/`.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps in the served bundle: nothing to leak, less to download.
    sourcemap: false,
  },
  server: {
    // `npm run dev:web` proxies the API to a local `leadrelay serve --port 8080`.
    proxy: {
      '/v1': 'http://127.0.0.1:8080',
      '/openapi.json': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
})
