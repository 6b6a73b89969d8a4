// Transfer lists for messages between the page and the compute worker: each buffer named once (a repeat is a
// DataCloneError), and no empty or detached one.

/** The distinct, non-empty buffers under these arrays. */
export function distinctBuffers(arrays: Iterable<Float32Array>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>()
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer && a.buffer.byteLength > 0) buffers.add(a.buffer)
  return [...buffers]
}

