// What verification costs: a coordinator with its real referee (ORT wasm, one thread) and N simulated
// volunteers running the same engine in the same process, the MLP on Fashion-MNIST at the demo job's audit
// settings. Measures, per round, the coordinator's time (spot checks, loss probes, audits, aggregation) and
// the referee's re-execution as a share of the volunteers' compute, for the first round (every volunteer on
// probation) and the rounds after it. No network: this is the coordinator's CPU, not the swarm's latency.
import * as ort from 'onnxruntime-web'
import { loadFashionMnist } from '../server/fashion-mnist.ts'
import { subset } from '../server/swarm/subset.ts'
import { MODEL_ZOO } from '../src/graph/zoo.ts'
import { initParams } from '../src/graph/model.ts'
import { SessionInnerEngine } from '../src/compute/inner-engine.ts'
import { makeBatch } from '../src/data/batches.ts'
import type { LabelledImages } from '../src/data/labelled-images.ts'
import { Coordinator } from '../src/training/coordinator.ts'
import { MemoryCheckpointStore } from '../src/training/memory-checkpoints.ts'
import { Referee, type UnitData } from '../src/training/referee.ts'
import { runUnit } from '../src/training/unit-runner.ts'
import { encodeDelta } from '../src/training/quantize.ts'
import { flatten, paramLayout } from '../src/training/vector.ts'
import { MemoryLogStore, MemoryVectorStore } from '../src/training/testing/memory-stores.ts'
import { demoJobSpec } from '../src/roles/demo-job.ts'
import type { UnitAssignment, UnitResult } from '../src/training/unit.ts'

export interface AuditBenchRow {
  volunteers: number
  auditRate: number
  /** First round: every volunteer is new, so every unit is re-executed. */
  first: AuditRound
  /** Mean over the later rounds. */
  later: AuditRound
}

export interface AuditRound {
  coordinatorMs: number
  volunteerMs: number
  refereeMs: number
  /** Referee re-execution and probes as a share of the volunteers' compute. */
  refereeShare: number
  audited: number
  units: number
}

const SHARD = 256

export async function benchAudit(options: { volunteers: number; rounds: number; innerSteps: number; batchSize: number }): Promise<AuditBenchRow> {
  ort.env.wasm.numThreads = 1
  const train = subset(await loadFashionMnist('train'), 0, 16_384)
  const shards = new Map<string, LabelledImages>()
  for (let i = 0; i * SHARD < train.count; i++) shards.set(`shard-${i}`, subset(train, i * SHARD, SHARD))
  const base = demoJobSpec({ coordinator: 'coordinator', train: [...shards.keys()].map((cid) => ({ cid, samples: SHARD, owner: 'coordinator' })), test: [], now: 0 })
  const job = { ...base, model: 'mlp' as const, batchSize: options.batchSize, innerSteps: options.innerSteps, unitsPerRound: options.volunteers, roundMs: 3_600_000, rounds: options.rounds }
  const model = MODEL_ZOO[job.model]()
  const layout = paramLayout(model)
  const data = (unit: UnitAssignment): UnitData => {
    const set = shards.get(unit.shards[0]!.cid)!
    return { count: set.count, makeBatch: (indices) => makeBatch(set, indices, job.normalisation) }
  }
  const refereeEngine = await SessionInnerEngine.create(ort, model, job.batchSize)
  const volunteerEngine = await SessionInnerEngine.create(ort, model, job.batchSize)
  const vectors = new MemoryVectorStore()
  const coordinator = await Coordinator.open({
    job, dim: layout.total, initialParams: () => flatten(layout, initParams(model, job.seed)), flopsPerStep: volunteerEngine.flopsPerStep, vectors,
    checkpoints: new MemoryCheckpointStore(), log: new MemoryLogStore(), referee: new Referee({ engine: refereeEngine, layout, data: async (unit) => data(unit) }),
  })
  const evidence = {
    checkpoint: (cid: string) => vectors.getParams(cid),
    checkpointPieces: async (cid: string, pick: (n: number) => number[]) => {
      const values = await vectors.getParams(cid)
      const per = 4096
      return { valuesPerPiece: per, pieces: new Map(pick(Math.ceil(values.length / per)).map((i) => [i, values.subarray(i * per, (i + 1) * per)])) }
    },
  }
  const rounds: AuditRound[] = []
  for (let r = 0; r < options.rounds; r++) {
    let coordinatorMs = 0
    let volunteerMs = 0
    const busyBefore = coordinator.view.history.length
    for (let v = 0; v < options.volunteers; v++) {
      const peer = `volunteer-${v}`
      let started = performance.now()
      const reply = await coordinator.requestWork(peer)
      coordinatorMs += performance.now() - started
      if (reply.kind !== 'unit') throw new Error(`volunteer ${v} got no unit in round ${r}: ${reply.verdict.code}`)
      const unit = reply.unit
      started = performance.now()
      const set = data(unit)
      const output = await runUnit({ unit, start: await vectors.getParams(unit.paramsCid), layout, totalSamples: set.count, makeBatch: set.makeBatch, engine: volunteerEngine, flopsPerStep: volunteerEngine.flopsPerStep, commit: (values) => vectors.putParams(values) })
      volunteerMs += performance.now() - started
      const result: UnitResult = { ...output.result, deltaCid: vectors.putBytes(encodeDelta(output.delta)) }
      started = performance.now()
      await coordinator.submit(peer, result, output.delta, evidence, '00')
      await coordinator.settled()
      coordinatorMs += performance.now() - started
    }
    const report = coordinator.view.history[busyBefore]
    if (!report) throw new Error(`round ${r} did not close`)
    rounds.push({ coordinatorMs, volunteerMs, refereeMs: report.refereeMs, refereeShare: report.refereeMs / volunteerMs, audited: report.audits.run, units: report.accepted })
  }
  await refereeEngine.release()
  await volunteerEngine.release()
  const later = rounds.slice(1)
  const mean = (f: (x: AuditRound) => number) => later.reduce((s, x) => s + f(x), 0) / later.length
  return {
    volunteers: options.volunteers,
    auditRate: job.auditRate,
    first: rounds[0]!,
    later: { coordinatorMs: mean((x) => x.coordinatorMs), volunteerMs: mean((x) => x.volunteerMs), refereeMs: mean((x) => x.refereeMs), refereeShare: mean((x) => x.refereeShare), audited: mean((x) => x.audited), units: mean((x) => x.units) },
  }
}
