// Compares two engines' results for the same work: the core of the device check (WebGPU vs wasm) and, later,
// of redundant verification between volunteers.
/** ‖a − b‖ / ‖b‖: how float32 engines are compared with each other and with the float64 reference. */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0
  let den = 0
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2
    den += b[i]! ** 2
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30)
}

export interface RunComparison {
  /** Largest per-parameter ‖a − b‖ / ‖b‖ over all parameter tensors. */
  maxParamRelativeL2: number
  worstParam: string
  /** Largest |loss_a − loss_b| / |loss_b| over the steps. */
  maxLossRelative: number
}

export function compareRuns(
  a: { params: Record<string, Float32Array>; losses: number[] },
  b: { params: Record<string, Float32Array>; losses: number[] },
): RunComparison {
  let maxParamRelativeL2 = 0
  let worstParam = ''
  for (const [name, reference] of Object.entries(b.params)) {
    const other = a.params[name]
    if (other === undefined || other.length !== reference.length) throw new Error(`parameter "${name}" is missing or has a different size in the other run`)
    // A NaN (an engine that computed garbage) is the worst difference there is, never agreement.
    const rel = relativeL2(other, reference)
    if (!(rel < maxParamRelativeL2)) {
      maxParamRelativeL2 = Number.isNaN(rel) ? Infinity : rel
      worstParam = name
    }
  }
  if (a.losses.length !== b.losses.length) throw new Error(`the runs took ${a.losses.length} and ${b.losses.length} steps`)
  const maxLossRelative = Math.max(0, ...a.losses.map((l, i) => {
    const rel = Math.abs(l - b.losses[i]!) / Math.max(Math.abs(b.losses[i]!), 1e-30)
    return Number.isNaN(rel) ? Infinity : rel
  }))
  return { maxParamRelativeL2, worstParam, maxLossRelative }
}
