// Builds the benchmark page (bench/index.html) into dist-bench/, with the same isolation headers as the app.
import { defineConfig } from 'vite'
import { fileURLToPath } from 'node:url'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  worker: { format: 'es' },
  build: { outDir: fileURLToPath(new URL('../dist-bench', import.meta.url)), emptyOutDir: true, target: 'es2023', chunkSizeWarningLimit: 8192 },
})
