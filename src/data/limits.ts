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

