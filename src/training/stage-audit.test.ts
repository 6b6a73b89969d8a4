// A staged job's replica audit as pure logic: the commitment a replica makes to how it trained, checked against
// what it was sent; the round replayed from it as the replica's host applies AdamW; and the verdicts on its
// change, tensor by tensor, and on each answer.
import { describe, expect, it } from 'vitest'
import { answerMismatch, commitmentMismatch, decodeCommitment, encodeCommitment, judgeChange, replayReplica, REPLAY_TOLERANCE, STAGE_AUDIT_TOLERANCE, type ReplicaCommitment, type SentToReplica } from './stage-audit.ts'
import { adamwUpdate, newAdamWState } from './adamw.ts'


describe('a stage replica\'s commitment', () => {
  const commitment: ReplicaCommitment = { steps: [{ step: 'd.0', microBatches: ['d.0.0', 'd.0.1'] }, { step: 'd.2', microBatches: ['d.2.1'] }] }
  const backward = (step: string, answered = true) => ({ step, sent: [], answered })
  const sent: SentToReplica = { steps: ['d.0', 'd.1', 'd.2'], backward: new Map([['d.0.0', backward('d.0')], ['d.0.1', backward('d.0', false)], ['d.1.0', backward('d.1')], ['d.2.1', backward('d.2')], ['d.2.2', backward('d.2', false)]]), updated: new Set(['d.0', 'd.2']) }

  it('fits what the replica was sent: its steps in order, micro-batches it was sent, every answered one summed', () => {
    expect(commitmentMismatch(commitment, sent)).toBeNull()
    // A step whose update it did not acknowledge may be left out (d.1: the update call was lost).
    expect(commitmentMismatch({ ...commitment, steps: [] }, { ...sent, updated: new Set() })).toBeNull()
  })

  it('names each way a commitment cannot be what it did', () => {
    const steps = (list: ReplicaCommitment['steps']) => commitmentMismatch({ ...commitment, steps: list }, sent)
    expect(steps([{ step: 'x.0', microBatches: ['x.0.0'] }])).toBe('committed to step "x.0", which it was never sent')
    expect(steps([commitment.steps[1]!, commitment.steps[0]!])).toBe('committed to step "d.0" out of order')
    expect(steps([{ step: 'd.0', microBatches: ['d.0.0', 'd.0.1', 'd.0.9'] }])).toBe('summed micro-batch "d.0.9" in step "d.0", which it was not sent a backward of there')
    expect(steps([{ step: 'd.0', microBatches: ['d.0.0', 'd.1.0'] }])).toBe('summed micro-batch "d.1.0" in step "d.0", which it was not sent a backward of there')
    expect(steps([{ step: 'd.0', microBatches: ['d.0.1'] }])).toBe('left micro-batch "d.0.0", which it answered, out of step "d.0"')
    // A lazy replica: it acknowledged its updates and applied none.
    expect(steps([])).toBe('acknowledged the update of step "d.0" but did not commit to applying it')
    expect(steps([commitment.steps[0]!])).toBe('acknowledged the update of step "d.2" but did not commit to applying it')
  })

  it('decodes strictly, within what the round could hold', () => {
    const limits = { steps: 4, microBatches: 2 }
    expect(decodeCommitment(encodeCommitment(commitment), limits)).toEqual(commitment)
    const bad = (patch: object) => () => decodeCommitment(new TextEncoder().encode(JSON.stringify({ ...commitment, ...patch })), limits)
    expect(bad({ steps: {} })).toThrow(/"steps" must be a list of at most 4 steps/)
    expect(bad({ steps: Array.from({ length: 5 }, (_, i) => ({ step: `d.${i}`, microBatches: [`d.${i}.0`] })) })).toThrow(/"steps" must be a list of at most 4 steps/)
    expect(bad({ steps: [{ step: 'd.0', microBatches: ['a', 'b', 'c'] }] })).toThrow(/"microBatches" must list from 1 to 2 micro-batch ids/)
    // A reply far beyond what the round could say is refused before it is parsed.
    expect(() => decodeCommitment(new TextEncoder().encode(JSON.stringify({ steps: [], pad: 'x'.repeat(10_000) })), limits)).toThrow(/stage commitment/)
    expect(bad({ steps: [commitment.steps[0], commitment.steps[0]] })).toThrow(/lists step "d.0" twice/)
    expect(bad({ steps: [{ step: 'd.0', microBatches: [] }] })).toThrow(/"microBatches" must list from 1/)
    expect(bad({ steps: [{ step: 'd.0', microBatches: ['a'] }, { step: 'd.1', microBatches: ['a'] }] })).toThrow(/lists micro-batch "a" twice/)
    expect(bad({ steps: [{ step: 'x'.repeat(65), microBatches: ['a'] }] })).toThrow(/step/)
    expect(() => decodeCommitment(new TextEncoder().encode('[1'), limits)).toThrow(/stage commitment/)
  })
})

describe('a replica\'s round replayed', () => {
  // A stage of one parameter vector whose "gradient" for micro-batch i is (i + 1) × the parameters.
  const spec = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }
  const grad = (params: ReadonlyMap<string, Float32Array>, m: string) => new Map([['w', params.get('w')!.map((x) => (Number(m.split('.').at(-1)) + 1) * x)]])
  const commitment: ReplicaCommitment = { steps: [{ step: 's.0', microBatches: ['s.0.0', 's.0.1'] }, { step: 's.2', microBatches: ['s.2.0'] }] }

  it('applies each committed step from fresh moments as the replica\'s host does, and shows each step the parameters its calls ran with', async () => {
    const start = Float32Array.from([1, -2, 0.5])
    const params = new Map([['w', Float32Array.from(start)]])
    const seen: Array<[string, number[]]> = []
    await replayReplica({ params, commitment, sentSteps: ['s.0', 's.1', 's.2'], optimizer: spec, lr: 0.01, backward: async (p, m) => grad(p, m), visit: (step, p) => void seen.push([step, [...p.get('w')!]]) })
    // By hand: the mean of the step's gradients, AdamW at steps 1 and then 2.
    const w = Float32Array.from(start)
    const hand = newAdamWState(3)
    expect(seen[0]).toEqual(['s.0', [...start]])
    adamwUpdate(w, w.map((x) => x + 2 * x), hand, spec, 0.01, 1, 1 / 2)
    expect(seen[1]).toEqual(['s.1', [...w]])
    expect(seen[2]).toEqual(['s.2', [...w]])
    adamwUpdate(w, Float32Array.from(w), hand, spec, 0.01, 2, 1)
    expect(params.get('w')).toEqual(w)
  })

  it('judges the replica\'s change tensor by tensor against the replay\'s', () => {
    // Two tensors: "w" (3 values) moved by the round, "b" (2 values) barely.
    const tensors = [{ name: 'w', start: 0, end: 3 }, { name: 'b', start: 3, end: 5 }]
    const replayed = Float32Array.from([0.01, -0.02, 0.03, 1e-7, -1e-7])
    const judge = (change: Float32Array) => judgeChange({ change, replayed, tensors, lr: 1e-2 })
    const fail = (change: Float32Array) => {
      const verdict = judge(change)
      return verdict.passed ? '' : verdict.reason
    }
    expect(judge(Float32Array.from(replayed))).toEqual({ passed: true })
    expect(judge(replayed.map((x) => x * (1 + REPLAY_TOLERANCE / 2)))).toEqual({ passed: true })
    // A tensor the round barely moved may differ by rounding (a hundredth of lr a value), not by a real move.
    expect(judge(Float32Array.from([0.01, -0.02, 0.03, 5e-5, 5e-5]))).toEqual({ passed: true })
    expect(fail(Float32Array.from([0.01, -0.02, 0.03, 1e-2, -1e-2]))).toMatch(/its change to "b" is .* from the replay of the steps it committed to, over 0\.05/)
    // Over the whole stage this bent bias is small; tensor by tensor it is not.
    const big = 2000
    const wide = [{ name: 'w', start: 0, end: big }, { name: 'b', start: big, end: big + 2 }]
    const moved = Float32Array.from({ length: big + 2 }, (_, i) => (i < big ? 1e-2 : 1e-3))
    const bent = Float32Array.from(moved, (x, i) => (i < big ? x : -x))
    expect(judgeChange({ change: bent, replayed: moved, tensors: wide, lr: 1e-2 })).toMatchObject({ passed: false, reason: expect.stringMatching(/"b"/) })
    expect(fail(new Float32Array(5))).toMatch(/its change to "w" is 1\.00e\+0/)
    expect(fail(Float32Array.from([NaN, 0, 0, 0, 0]))).toMatch(/"w"/)
    expect(fail(new Float32Array(4))).toBe('its change has 4 values, the replay 5')
  })

  it('compares each answer with its rerun, saying which call', () => {
    const answer = Float32Array.from([0.5, -1, 2])
    expect(answerMismatch('the forward of s.1.0', answer, answer.map((x) => x * (1 + STAGE_AUDIT_TOLERANCE / 2)))).toBeNull()
    expect(answerMismatch('the backward of s.1.0', null, null)).toBeNull()
    expect(answerMismatch('the forward of s.1.0', answer, answer.map((x) => 0.9 * x))).toMatch(/its answer to the forward of s\.1\.0 is .* from the rerun at the replayed parameters, over 0\.01/)
    expect(answerMismatch('the backward of s.1.0', null, answer)).toBe('its answer to the backward of s.1.0 is missing')
    expect(answerMismatch('the backward of s.1.0', answer, null)).toBe('its answer to the backward of s.1.0 was not expected')
    expect(answerMismatch('x', answer, Float32Array.from([0.5, -1]))).toBe('its answer to x has 3 values, the rerun 2')
    expect(answerMismatch('x', Float32Array.from([NaN, 0, 0]), answer)).toMatch(/from the rerun/)
  })

})
