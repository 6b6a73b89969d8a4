// A quantity with an SI prefix for the page ("1.23 GFLOP", "230 MB"): two decimals below 100, none above.
export function si(x: number, unit: string): string {
  const [scale, prefix] = x >= 1e12 ? [1e12, 'T'] : x >= 1e9 ? [1e9, 'G'] : x >= 1e6 ? [1e6, 'M'] : x >= 1e3 ? [1e3, 'k'] : [1, '']
  return `${(x / scale).toFixed(x / scale >= 100 ? 0 : 2)} ${prefix}${unit}`
}
