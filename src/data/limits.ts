// Stated limits for contributed files, checked before a byte is parsed: the UI shows them, and every error
// that hits one says which.
export const IMPORT_LIMITS = {
  /** One PNG or JPEG. */
  imageFileBytes: 20 * 2 ** 20,
  /** One CSV, TSV or JSONL file. */
  tableFileBytes: 256 * 2 ** 20,
  /** One IDX file as uploaded (gzip or raw). */
  idxFileBytes: 256 * 2 ** 20,
  /** Image dimensions accepted before resizing. */
  imageSide: 8192,
  /** Samples in one dataset. */
  samples: 250_000,
} as const

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`
}

/**
 * Roughly the bytes an import will need once stored: one byte per pixel and label for images, and the
 * file size for tables and IDX files (×4 when gzipped, Fashion-MNIST's ratio is about 3.4).
 */
export function estimateStoredBytes(files: ReadonlyArray<{ path: string; size: number }>, pixelsPerSample: number): number {
  return files.reduce((n, f) => {
    if (/\.(png|jpe?g)$/i.test(f.path)) return n + pixelsPerSample + 1
    return n + (/\.gz$/i.test(f.path) ? 4 * f.size : f.size)
  }, 0)
}
