import { describe, expect, it } from 'vitest'
import { defaultTabMemoryMiB, parseTabMemoryMiB } from './tab-memory.ts'

describe('the tab memory limit', () => {
  it('defaults to a quarter of the device, at least 64 MiB, or 1 GiB when the device says nothing', () => {
    expect(defaultTabMemoryMiB(8)).toBe(2048)
    expect(defaultTabMemoryMiB(0.25)).toBe(64)
    expect(defaultTabMemoryMiB(undefined)).toBe(1024)
    expect(defaultTabMemoryMiB(0)).toBe(1024)
  })

  it('takes whole numbers of MiB from 1 to 65536 only', () => {
    expect(parseTabMemoryMiB('1')).toBe(1)
    expect(parseTabMemoryMiB(' 65536 ')).toBe(65536)
    for (const bad of [null, '', '0', '65537', '1.5', '-2', '1e3', 'lots']) expect(parseTabMemoryMiB(bad)).toBeNull()
  })
})
