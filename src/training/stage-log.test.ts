// A staged job's rounds in the job log and the crediting rules its coordinator and an auditor both run: work is
// pending until its peer passes an audit (of that round or a later one), a failed audit forfeits everything the
// peer has not been paid and excludes it, a round pays each peer once however often it is replayed, and a record
// cannot claim more calls than its round had micro-batches. The decoder refuses every malformed field.
import { describe, expect, it } from 'vitest'
import { taskInput, taskOutputs, type TextTask } from '../data/task.ts'
import type { ModelRecipe } from '../graph/model-recipe.ts'
import { stagedTextJob } from '../roles/testing/staged-peers.ts'
import { CreditsLedger } from './credits.ts'
import { decodeRecord } from './job-log.ts'
import { stageFlopsOf } from './job-stages.ts'
import { applyStageRound, decodeStageRoundRecord, replayStageLedger, stageWorkFlops, stageWorkProblem, type StageRoundRecord } from './stage-log.ts'

const task: TextTask = { kind: 'text', schema: { kind: 'text', tokens: 'characters', vocab: ['\uFFFD', 'a', 'b', 'c', 'd', 'e', ' '], context: 8 } }
const recipe: ModelRecipe = { spec: { kind: 'transformer', layers: 2, width: 16, heads: 4 }, input: taskInput(task), ...taskOutputs(task) }
// 8 samples a step in micro-batches of 4, 3 steps: at most 6 calls of each kind per stage and round.
const spec = JSON.parse(JSON.stringify(stagedTextJob('coordinator', recipe, task, 4, { id: 'staged-log', batchSize: 8, innerSteps: 3, auditRate: 0.5 })))
const flops = stageFlopsOf(spec)

function record(round: number, work: StageRoundRecord['work'], audits: StageRoundRecord['audits'] = []): StageRoundRecord {
  return { kind: 'stage-round', job: spec.id, spec, round, version: round, paramsCid: `p${round}`, nextParamsCid: `p${round + 1}`, startedAtMs: round * 1000, closedAtMs: round * 1000 + 500, stageFlops: flops, work, audits, prev: round === 0 ? null : `r${round - 1}` }
}
const pass = (peer: string, stage: number) => ({ peer, stage, passed: true, reason: '' })
const fail = (peer: string, stage: number) => ({ peer, stage, passed: false, reason: 'its change is not the replay\'s' })

describe('crediting a staged job\'s rounds', () => {
  it('prices a call at its stage graph\'s FLOPs and counts every stage separately', () => {
    expect(flops).toHaveLength(3)
    for (const f of flops) expect(f.backward).toBeGreaterThan(f.forward)
    expect(stageWorkFlops(record(0, []), { peer: 'a', stage: 1, forward: 3, backward: 2 })).toBe(3 * flops[1]!.forward + 2 * flops[1]!.backward)
    expect(() => stageWorkFlops(record(0, []), { peer: 'a', stage: 3, forward: 1, backward: 0 })).toThrow(/stage 3/)
  })

  it('keeps work pending until an audit of its peer passes, then pays everything up to that round', () => {
    const ledger = new CreditsLedger()
    const banned = new Map<string, string>()
    applyStageRound(ledger, banned, record(0, [{ peer: 'a', stage: 0, forward: 6, backward: 6 }, { peer: 'b', stage: 1, forward: 6, backward: 6 }], [pass('b', 1)]))
    const a0 = 6 * flops[0]!.forward + 6 * flops[0]!.backward
    const b0 = 6 * flops[1]!.forward + 6 * flops[1]!.backward
    expect(ledger.volunteer('a').flops).toBe(0)
    expect(ledger.pending('a').flops).toBe(a0)
    expect(ledger.volunteer('b').flops).toBe(b0)
    // Round 1: a is audited and passes; what it did in round 0 is paid with round 1's work.
    applyStageRound(ledger, banned, record(1, [{ peer: 'a', stage: 0, forward: 4, backward: 2 }], [pass('a', 0)]))
    expect(ledger.volunteer('a').flops).toBe(a0 + 4 * flops[0]!.forward + 2 * flops[0]!.backward)
    expect(ledger.pending('a').flops).toBe(0)
    expect(banned.size).toBe(0)
  })

  it('forfeits a failed peer\'s unpaid credit, verified or not, excludes it, and pays it nothing after', () => {
    const ledger = new CreditsLedger()
    const banned = new Map<string, string>()
    applyStageRound(ledger, banned, record(0, [{ peer: 'c', stage: 2, forward: 6, backward: 6 }], [pass('c', 2)]))
    applyStageRound(ledger, banned, record(1, [{ peer: 'c', stage: 2, forward: 6, backward: 6 }]))
    expect(ledger.volunteer('c').flops).toBeGreaterThan(0)
    expect(ledger.pending('c').flops).toBeGreaterThan(0)
    applyStageRound(ledger, banned, record(2, [], [fail('c', 2)]))
    expect(ledger.volunteer('c').flops).toBe(0)
    expect(ledger.pending('c').flops).toBe(0)
    expect(banned.get('c')).toMatch(/replay/)
    // A later record naming it pays nothing, and a pass recorded for it vouches for nothing.
    applyStageRound(ledger, banned, record(3, [{ peer: 'c', stage: 2, forward: 1, backward: 1 }], [pass('c', 2)]))
    expect(ledger.volunteer('c').flops + ledger.pending('c').flops).toBe(0)
  })

  it('pays a round once however often it is applied, and a replay gives what the coordinator holds', () => {
    const rounds = [
      record(0, [{ peer: 'a', stage: 0, forward: 6, backward: 6 }, { peer: 'b', stage: 1, forward: 6, backward: 5 }], [pass('a', 0)]),
      record(1, [{ peer: 'a', stage: 0, forward: 6, backward: 6 }, { peer: 'b', stage: 1, forward: 2, backward: 2 }], [fail('b', 1)]),
      record(2, [{ peer: 'a', stage: 0, forward: 6, backward: 6 }], [pass('a', 0)]),
    ]
    const ledger = new CreditsLedger()
    const banned = new Map<string, string>()
    for (const r of rounds) applyStageRound(ledger, banned, r)
    applyStageRound(ledger, banned, rounds[2]!)
    const replayed = replayStageLedger(rounds, 3)
    expect(replayed.ledger.toJSON()).toEqual(ledger.toJSON())
    expect([...replayed.banned.keys()]).toEqual(['b'])
    expect(replayed.ledger.volunteer('a').flops).toBe(18 * (flops[0]!.forward + flops[0]!.backward))
    // An epoch counts only the rounds closed before it.
    expect(replayStageLedger(rounds, 1).ledger.volunteer('a').flops).toBe(6 * (flops[0]!.forward + flops[0]!.backward))
    expect(replayStageLedger(rounds, 1).banned.size).toBe(0)
  })

  it('finds a record that pays more calls than its round had, a stage the model lacks, a peer twice or an excluded peer', () => {
    expect(stageWorkProblem(record(0, [{ peer: 'a', stage: 0, forward: 6, backward: 6 }, { peer: 'b', stage: 0, forward: 0, backward: 0 }]), new Set())).toBeNull()
    expect(stageWorkProblem(record(0, [{ peer: 'a', stage: 0, forward: 4, backward: 4 }, { peer: 'b', stage: 0, forward: 3, backward: 0 }]), new Set())).toMatch(/at most 6/)
    expect(stageWorkProblem(record(0, [{ peer: 'a', stage: 1, forward: 0, backward: 7 }]), new Set())).toMatch(/7 backward/)
    expect(stageWorkProblem(record(0, [{ peer: 'a', stage: 0, forward: 1, backward: 1 }, { peer: 'a', stage: 1, forward: 1, backward: 1 }]), new Set())).toMatch(/twice/)
    expect(stageWorkProblem(record(0, [{ peer: 'a', stage: 0, forward: 1, backward: 1 }]), new Set(['a']))).toMatch(/excluded/)
    expect(stageWorkProblem(record(0, [{ peer: 'a', stage: 0, forward: 1, backward: 1 }], [fail('a', 0)]), new Set())).toMatch(/excluded/)
  })
})

describe('decoding a staged round record', () => {
  const good = record(4, [{ peer: 'a', stage: 2, forward: 6, backward: 6 }], [pass('a', 2)])
  const decode = (change: (r: Record<string, unknown>) => void) => {
    const copy = JSON.parse(JSON.stringify(good)) as Record<string, unknown>
    change(copy)
    return () => decodeStageRoundRecord(copy)
  }

  it('gives back what was written, also through the job log\'s envelope', () => {
    expect(decodeStageRoundRecord(JSON.parse(JSON.stringify(good)))).toEqual({ ...good, spec: decodeStageRoundRecord(JSON.parse(JSON.stringify(good))).spec })
    const decoded = decodeRecord({ format: 'tesserae-log-1', coordinator: 'c', signature: 'ab', record: JSON.stringify(good) })
    expect(decoded.kind).toBe('stage-round')
    expect((decoded as StageRoundRecord).work).toEqual(good.work)
  })

  it('refuses every malformed field with a message naming it', () => {
    expect(decode((r) => ((r.work as Array<Record<string, unknown>>)[0]!.stage = 3))).toThrow(/stage/)
    expect(decode((r) => ((r.work as Array<Record<string, unknown>>)[0]!.forward = -1))).toThrow(/forward/)
    expect(decode((r) => ((r.work as Array<Record<string, unknown>>)[0]!.backward = 1.5))).toThrow(/backward/)
    expect(decode((r) => ((r.audits as Array<Record<string, unknown>>)[0]!.passed = 'yes'))).toThrow(/passed/)
    expect(decode((r) => (r.stageFlops = (r.stageFlops as unknown[]).slice(1)))).toThrow(/stageFlops/)
    expect(decode((r) => (r.stageFlops = [{ forward: 'x', backward: 1 }, ...(r.stageFlops as unknown[]).slice(1)]))).toThrow(/forward/)
    expect(decode((r) => (r.work = Array.from({ length: 16_385 }, () => ({ peer: 'a', stage: 0, forward: 0, backward: 0 }))))).toThrow(/at most 16384/)
    expect(decode((r) => delete (r.spec as Record<string, unknown>).stages)).toThrow(/not split into stages/)
    expect(decode((r) => (r.prev = 'not a cid!'))).toThrow(/prev/)
    expect(decode((r) => (r.nextParamsCid = 7))).toThrow(/nextParamsCid/)
    expect(decode((r) => (r.kind = 'round'))).toThrow(/kind/)
  })
})
