// Vite builds the app and its workers; the dev server sends the same isolation headers as server/static-server.ts
// so that SharedArrayBuffer (threaded wasm) behaves identically in development and production.
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'
import { staticHost } from './server/deploy/static-host.ts'
import { ISOLATION_HEADERS } from './src/stack/page-headers.ts'

export default defineConfig({
  plugins: [react(), staticHost()],
  worker: { format: 'es' },
  build: { target: 'es2023', sourcemap: true, chunkSizeWarningLimit: 4096 },
  // No Content-Security-Policy in development: Vite's hot reload runs inline scripts. The built app gets one.
  server: { headers: ISOLATION_HEADERS, host: '127.0.0.1' },
  preview: { headers: ISOLATION_HEADERS, host: '127.0.0.1' },
})
