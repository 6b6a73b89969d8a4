// Audits of a staged job's replicas (issue 19): a replica that answers its calls wrongly (here a lazy one that
// scales what it computes) is caught by the audit of one of its calls, drawn after it committed to every step's
// parameters; its change is not merged, it is not paid, and it is never given a stage again, while every honest
// replica passes. Real libp2p and ORT in Node.
import { afterAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { multiaddr } from '@multiformats/multiaddr'
import { initParams } from '../graph/model.ts'
import { buildShard } from '../graph/shard.ts'
import { createLossHead, createStageEngine, type StageEngine } from '../compute/stage-engine.ts'
import { jobModel } from '../training/job.ts'
import { flatten, paramLayout } from '../training/vector.ts'
import { PipelineCoordinator } from './pipeline-coordinator.ts'
import { dictionaryTask, lazy, stagedPeer, stagedTextJob } from './testing/staged-peers.ts'
import { decodeCommitment, encodeCommitment } from '../training/stage-audit.ts'
import { decodeDelta, dequantize } from '../training/quantize.ts'
import { encodeDelta, quantizeInt8 } from '../training/quantize.ts'
import { StageVolunteer } from './stage-volunteer.ts'

ort.env.wasm.numThreads = 1
const CONTEXT = 8
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** What a commitment of these tests' rounds may hold. */
const LIMITS = { steps: 8, microBatches: 2 }

describe('audits of stage replicas', () => {
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
  })

  /** A coordinator and volunteers joined in order; `make(i)` may make volunteer i hostile. */
  async function swarm(count: number, hostile: (i: number, volunteer: StageVolunteer, engine: (e: StageEngine) => StageEngine) => ((e: StageEngine) => StageEngine) | void, innerSteps = 4) {
    const { task, recipe, model, draw } = await dictionaryTask(CONTEXT, 48, { kind: 'transformer', layers: 2, width: 16, heads: 4 }, 7)
    const peer = () => stagedPeer(stops)
    const coordinatorPeer = await peer()
    const job = stagedTextJob(coordinatorPeer.node.peerId.toString(), recipe, task, 4, { id: 'audited', batchSize: 8, innerSteps, innerLr: 3e-3, auditRate: 0 })
    const head = await createLossHead(ort, model, 4, 'wasm')
    stops.push(() => head.release())
    const engineFor = (from: number, to: number, rows: number) => createStageEngine(ort, buildShard(jobModel(job), from, to, rows), 'wasm')
    const coordinator = await PipelineCoordinator.start({
      ...coordinatorPeer,
      job,
      initialParams: flatten(paramLayout(model), initParams(model, 3)),
      head: head.run,
      batches: () => ({ ...draw(8), rows: 8 }),
      engine: engineFor,
      announceEveryMs: 0,
    })
    stops.push(() => coordinator.stop())
    const ids: string[] = []
    for (let i = 0; i < count; i++) {
      const { node, exchange } = await peer()
      await node.dial(multiaddr(coordinatorPeer.node.getMultiaddrs()[0]!.toString()))
      let wrap: (e: StageEngine) => StageEngine = (e) => e
      const volunteer = await StageVolunteer.start({ node, exchange, job: (id) => (id === job.id ? job : null), engine: async (_, from, to, rows) => wrap(await engineFor(from, to, rows)), joinEveryMs: 300 })
      wrap = hostile(i, volunteer, (e) => e) ?? wrap
      stops.push(() => volunteer.stop())
      volunteer.join(job.id)
      ids.push(node.peerId.toString())
      while (coordinator.candidates().length < i + 1) await sleep(20)
    }
    return { coordinator, ids }
  }

  it('refuse a replica that commits to a step it was never sent, one whose change reaches too far, one that answered nothing and one that applied no update', async () => {
    const { coordinator, ids } = await swarm(7, (i, volunteer) => {
      const patched = volunteer as unknown as Record<string, (held: unknown) => Promise<{ response: unknown; tensors: Uint8Array[] }> | { response: unknown; tensors: Uint8Array[] }>
      if (i === 3) {
        // A forger: it puts a made-up step in place of its first real one.
        const commit = patched.commit!.bind(volunteer)
        patched.commit = async (held) => {
          const real = decodeCommitment((await commit(held)).tensors[0]!, LIMITS)
          return { response: { type: 'done', flops: 0, tensors: 1 }, tensors: [encodeCommitment({ steps: [{ step: 'made-up.0', microBatches: ['made-up.0.0'] }, ...real.steps.slice(1)] })] }
        }
      }
      if (i === 4) {
        // Its change is far beyond what its steps could do.
        patched.delta = (held) => {
          const size = (held as { start: Float32Array }).start.length
          return { response: { type: 'done', flops: 0, tensors: 1 }, tensors: [encodeDelta(quantizeInt8(new Float32Array(size).fill(5)))] }
        }
      }
      if (i === 5) {
        // It answers nothing (refuses every call), then hands back a change anyway.
        const serve = patched.serve!.bind(volunteer)
        patched.serve = async (...args: unknown[]) => {
          const reply = await (serve as (...a: unknown[]) => Promise<{ response: unknown; tensors: Uint8Array[] }>)(...args)
          volunteer.host.setPaused(true)
          return reply
        }
      }
      if (i === 6) {
        // It answers its calls and refuses every update (its step's sum never applied).
        const host = volunteer.host as unknown as { handle: (request: { type: string }, ...rest: unknown[]) => Promise<unknown> }
        const handle = host.handle.bind(volunteer.host)
        host.handle = (request, ...rest) => (request.type === 'update' ? Promise.resolve({ response: { type: 'refused', code: 'BAD_REQUEST', detail: 'not today' }, tensors: [] }) : handle(request, ...rest))
      }
    })
    const report = (await coordinator.runRound())!
    expect(report.steps).toBe(4)
    expect(report.audits.failed.map((f) => [f.peer, f.reason])).toEqual([[ids[3], 'committed to step "made-up.0", which it was never sent']])
    // The forger and the far-reaching one lose their stage; the two that trained nothing keep theirs, unmerged.
    expect(report.lost.sort()).toEqual([ids[3], ids[4]].sort())
    expect(report.idle.sort()).toEqual([ids[5], ids[6]].sort())
    expect(report.accepted.flat().sort()).toEqual(ids.slice(0, 3).sort())
    // A replica failed its audit, so nothing of the round is merged.
    expect(report.discarded).toBe(true)
    expect(report.merged.flat()).toEqual([])
    for (const id of [ids[3], ids[4], ids[5]]) expect(report.credited[id!]).toBeUndefined()
    // The one that refused its updates is paid for its forward calls only, never for a backward.
    const refuser = coordinator.reports[0]!.assigned[ids[6]!]!
    const credited = report.credited[ids[6]!] ?? 0
    expect(credited % coordinator['flops'][refuser]!.forward).toBe(0)
  }, 120_000)

  it('catch a replica that answers wrongly, merge nothing of that round, and never give it a stage again', async () => {
    // Five volunteers in turn; the last (a lazy one) lands on stage 1 beside an honest peer.
    const { coordinator, ids } = await swarm(5, (i) => (i === 4 ? lazy : undefined))
    const lazyId = ids[4]!
    const start = Float32Array.from(coordinator.params)
    const first = (await coordinator.runRound())!
    expect(first.assigned[lazyId]).toBe(1)
    // Every replica is new, so every one is audited: only the lazy one fails, and why is said.
    expect(first.audits.run).toBe(5)
    expect(first.audits.failed.map((f) => f.peer)).toEqual([lazyId])
    expect(first.audits.failed[0]!.reason).toMatch(/its answer to the (forward|backward) of .* is .* \(relative L2\) from the rerun at the replayed parameters, over 0\.01/)
    expect(first.accepted[1]).toEqual([ids[1]])
    // Its wrong answers reached every other stage's replicas this round: nothing is merged, the model is as it was.
    expect(first.discarded).toBe(true)
    expect(first.merged).toEqual([[], [], []])
    expect(coordinator.params).toEqual(start)
    // The round is logged and paid, but does not count toward the job's rounds.
    expect([coordinator.round, coordinator.mergedRounds]).toEqual([1, 0])
    expect(first.credited[lazyId]).toBeUndefined()
    // The honest peers are paid for the calls they answered all the same.
    for (const id of ids.slice(0, 4)) expect(first.credited[id!]).toBeGreaterThan(0)
    expect(first.steps).toBe(4)
    expect(coordinator.banned.has(lazyId)).toBe(true)
    // It is not given a stage again, and the honest replicas (audited once) go on unaudited at rate 0.
    const second = (await coordinator.runRound())!
    expect(Object.keys(second.assigned)).not.toContain(lazyId)
    expect(second.audits.run).toBe(0)
    expect(second.discarded).toBe(false)
    expect([coordinator.round, coordinator.mergedRounds]).toEqual([2, 1])
    expect(second.merged.flat().sort()).toEqual(ids.slice(0, 4).sort())
    expect(coordinator.params).not.toEqual(start)
  }, 120_000)

  it('catch a replica that bends its change, one that skips the updates it acknowledged, one that reorders its steps, and one that is wrong now and then', async () => {
    const { coordinator, ids } = await swarm(7, (i, volunteer) => {
      type Reply = { response: unknown; tensors: Uint8Array[] }
      const patched = volunteer as unknown as Record<string, (...args: unknown[]) => Promise<Reply> | Reply>
      const delta = patched.delta!.bind(volunteer)
      const commit = patched.commit!.bind(volunteer)
      if (i === 3) {
        // A poisoner: every call answered right, every step applied, then a change bent by a third (within reach).
        patched.delta = async (held) => {
          const honest = (await delta(held)).tensors[0]!
          const bent = dequantize(decodeDelta(honest)).map((x, j) => x * (j % 2 === 0 ? 1.6 : 0.4))
          return { response: { type: 'done', flops: 0, tensors: 1 }, tensors: [encodeDelta(quantizeInt8(bent))] }
        }
      }
      if (i === 4) {
        // A skipper: it acknowledges every update, applies none, and says so consistently (no step, no change).
        patched.delta = async (held) => {
          await delta(held)
          return { response: { type: 'done', flops: 0, tensors: 1 }, tensors: [encodeDelta(quantizeInt8(new Float32Array((held as { start: Float32Array }).start.length)))] }
        }
        patched.commit = async (held) => {
          const real = decodeCommitment((await commit(held)).tensors[0]!, LIMITS)
          return { response: { type: 'done', flops: 0, tensors: 1 }, tensors: [encodeCommitment({ ...real, steps: [] })] }
        }
      }
      if (i === 5) {
        // It gives its first two steps in the other order (as if it applied them so: a change the replay cannot make).
        patched.commit = async (held) => {
          const real = decodeCommitment((await commit(held)).tensors[0]!, LIMITS)
          return { response: { type: 'done', flops: 0, tensors: 1 }, tensors: [encodeCommitment({ steps: [real.steps[1]!, real.steps[0]!, ...real.steps.slice(2)] })] }
        }
      }
      // Wrong on every other forward only (its 1st, 3rd, …): every answer of an audited replica is checked, not
      // a sample. (Seventh to join, it shares a stage with two peers: in 8 steps it is all but sure to run a forward.)
      if (i === 6) return (engine) => {
        let calls = 0
        return { ...engine, shard: engine.shard, forward: async (p, a, k) => (calls++ % 2 === 0 ? (await engine.forward(p, a, k)).map((x) => 0.8 * x) : engine.forward(p, a, k)) }
      }
    }, 8)
    const report = (await coordinator.runRound())!
    expect(report.steps).toBe(8)
    const reasons = new Map(report.audits.failed.map((f) => [f.peer, f.reason]))
    expect([...reasons.keys()].sort()).toEqual([ids[3], ids[4], ids[5], ids[6]].sort())
    expect(reasons.get(ids[3]!)).toMatch(/its change to ".*" is .* from the replay of the steps it committed to, over 0\.05/)
    expect(reasons.get(ids[4]!)).toMatch(/acknowledged the update of step ".*" but did not commit to applying it/)
    expect(reasons.get(ids[5]!)).toMatch(/committed to step ".*" out of order/)
    expect(reasons.get(ids[6]!)).toMatch(/its answer to the forward of .* from the rerun at the replayed parameters/)
    expect(report.audits.run).toBe(7)
    expect(report.accepted.flat().sort()).toEqual(ids.slice(0, 3).sort())
    expect(report.merged.flat()).toEqual([])
    for (const id of ids.slice(3)) expect(report.credited[id!]).toBeUndefined()
  }, 120_000)
})
