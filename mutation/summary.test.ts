import { describe, expect, it } from 'vitest'
import { count, mergeArea, renderReport, type MutantOutcome, type MutantStatus } from './summary.ts'

const m = (file: string, line: number, status: MutantStatus): MutantOutcome => ({ file, line, column: 1, mutator: 'EqualityOperator', original: 'a < b', replacement: 'a <= b', status })

describe('mutation report', () => {
  it('scores killed and timed-out mutants over those that compile, leaving errors, ignored and untested out', () => {
    expect(count([m('a', 1, 'Killed'), m('a', 2, 'Timeout'), m('a', 3, 'Survived'), m('a', 4, 'NoCoverage'), m('a', 5, 'CompileError'), m('a', 6, 'Ignored'), m('a', 7, 'Pending')])).toEqual({ killed: 1, timeout: 1, survived: 1, noCoverage: 1, errors: 1, ignored: 1, pending: 1, score: 50 })
    expect(count([m('a', 1, 'CompileError')]).score).toBeNull()
    expect(count([m('a', 1, 'Killed'), m('a', 2, 'Killed'), m('a', 3, 'Survived')]).score).toBe(66.7)
  })

  it('replaces the files a run mutated and keeps the rest, unless the run covered the whole area', () => {
    const first = mergeArea(undefined, [m('a.ts', 1, 'Killed'), m('b.ts', 1, 'Survived')], true, 't1')
    expect(first.totals.score).toBe(50)
    expect(first.survivors.map((s) => s.file)).toEqual(['b.ts'])
    const fileOnly = mergeArea(first, [m('b.ts', 1, 'Killed')], false, 't2')
    expect(Object.keys(fileOnly.files)).toEqual(['a.ts', 'b.ts'])
    expect(fileOnly.totals).toMatchObject({ killed: 2, survived: 0, score: 100 })
    expect(fileOnly.survivors).toEqual([])
    const whole = mergeArea(fileOnly, [m('c.ts', 1, 'Survived')], true, 't3')
    expect(Object.keys(whole.files)).toEqual(['c.ts'])
    expect(whole.ranAt).toBe('t3')
  })

  it('lists every survivor by file and line, marking those no test reaches', () => {
    const report = renderReport({ areas: { p2p: mergeArea(undefined, [m('x.ts', 7, 'Survived'), m('x.ts', 9, 'NoCoverage'), { ...m('x.ts', 3, 'Survived'), replacement: '' }], true, '2026-12-01T00:00:00Z') } }, ['training', 'p2p'])
    expect(report).toContain('| p2p | 0.0 % | 0 | 0 | 2 | 1 | 0 | 0 |')
    expect(report).toContain('- x.ts:3 EqualityOperator: `a < b` → (removed)')
    expect(report).toContain('- x.ts:7 EqualityOperator: `a < b` → `a <= b`')
    expect(report).toContain('- x.ts:9 EqualityOperator (no test reaches it)')
    expect(report).not.toContain('## training')
  })
})
