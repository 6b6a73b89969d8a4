// Leaf utility: joining byte arrays (block chunks, hash inputs, file parts) into one, and telling whether a
// typed array is its buffer's only view.
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * Whether the array spans its whole buffer: only then can its holder hand the buffer over (transfer it, reuse
 * it, read it in place) and lose or overwrite nothing else. A detached buffer spans nothing.
 */
export const spansItsBuffer = (a: ArrayBufferView): boolean => a.byteLength > 0 && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength
