// Vite builds the app and its workers; the dev server sends the same isolation headers as server/static-server.ts
// so that SharedArrayBuffer (threaded wasm) behaves identically in development and production.
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'
import { isolationHeaders } from './server/isolation-headers.ts'

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  build: { target: 'es2023', sourcemap: true, chunkSizeWarningLimit: 4096 },
  server: { headers: isolationHeaders, host: '127.0.0.1' },
  preview: { headers: isolationHeaders, host: '127.0.0.1' },
})
