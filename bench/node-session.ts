// The Node side of the engine benchmark: TrainSessions on onnxruntime-web's plain wasm build, the same graphs
// the browser worker runs, without a browser. ORT fixes its thread count per process, so bench/run.ts starts
// one of these per thread count; it answers one JSON line per request line on stdin. Sessions stay open
// between requests, so each round of the benchmark times steps, not compilation.
import * as ort from 'onnxruntime-web'
import { createInterface } from 'node:readline'
import { buildTrainStep } from '../src/graph/train-step.ts'
import { DEFAULT_ADAMW } from '../src/graph/optimizer.ts'
import { initParams, type Model } from '../src/graph/model.ts'
import { MODEL_ZOO, type ZooModelName } from '../src/graph/zoo.ts'
import { TrainSession } from '../src/compute/train-session.ts'
import { syntheticBatch } from '../src/compute/synthetic-batch.ts'
import { errorMessage } from '../src/errors.ts'

export type NodeSessionRequest =
  | { op: 'open'; id: string; model: ZooModelName; batchSize: number; microBatch: number; warmup: number }
  | { op: 'steps'; id: string; steps: number }
  | { op: 'close'; id: string }

export type NodeSessionReply = { flopsPerStep: number } | StepTimes | { closed: true }

/** How many steps ran and how long they took end to end, and inside the engine where that differs. */
export interface StepTimes {
  steps: number
  wallMs: number
  /** Time inside the compute worker's engine runs, without messaging (browser worker only). */
  engineMs?: number
}

/** Steps per engine run, as SessionInnerEngine stacks them (the most a compute worker's run takes). */
const STEPS_PER_RUN = 32

ort.env.wasm.numThreads = Number(process.argv[2] ?? 1)

const open = new Map<string, { session: TrainSession; model: Model; batchSize: number; step: number }>()

async function handle(request: NodeSessionRequest): Promise<NodeSessionReply> {
  if (request.op === 'open') {
    const model = MODEL_ZOO[request.model]()
    const step = buildTrainStep(model, request.batchSize, DEFAULT_ADAMW, { microBatch: request.microBatch })
    const session = await TrainSession.create(ort, step, { backend: 'wasm' })
    session.load(initParams(model, 1))
    const entry = { session, model, batchSize: request.batchSize, step: 1 }
    open.set(request.id, entry)
    await session.runSteps(Array.from({ length: request.warmup }, (_, i) => syntheticBatch(model, entry.batchSize, i)), 1e-3, entry.step)
    entry.step += request.warmup
    return { flopsPerStep: step.flopsPerStep }
  }
  const entry = open.get(request.id)
  if (entry === undefined) throw new Error(`no session "${request.id}"`)
  if (request.op === 'close') {
    open.delete(request.id)
    await entry.session.release()
    return { closed: true }
  }
  const batches = Array.from({ length: request.steps }, (_, i) => syntheticBatch(entry.model, entry.batchSize, i))
  const started = performance.now()
  for (let done = 0; done < batches.length; done += STEPS_PER_RUN) {
    const stack = batches.slice(done, done + STEPS_PER_RUN)
    await entry.session.runSteps(stack, 1e-3, entry.step)
    entry.step += stack.length
  }
  return { steps: batches.length, wallMs: performance.now() - started }
}

for await (const line of createInterface({ input: process.stdin })) {
  const reply = await handle(JSON.parse(line) as NodeSessionRequest).catch((error: unknown) => ({ error: errorMessage(error) }))
  process.stdout.write(`${JSON.stringify(reply)}\n`)
}
