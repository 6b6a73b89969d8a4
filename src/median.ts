// The median of a list of numbers (NaN for none): shared by robust aggregation (training), calibration's step
// timer (compute) and the benches, which may not import each other.
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
