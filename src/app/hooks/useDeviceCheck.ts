// "Check this device": trains the same seeded CNN steps on WebGPU and on wasm in two workers and compares the
// results, so a volunteer (and we) know the GPU computes correctly before it is trusted with real work.
import { useCallback, useState } from 'react'
import { ComputeClient } from '../../compute/compute-client.ts'
import { compareRuns, type RunComparison } from '../../compute/compare-runs.ts'
import type { BackendChoice } from '../../compute/backend-choice.ts'
import type { ExecutionBackend } from '../../compute/train-session.ts'
import type { RunSummary, TrainSpec } from '../../compute/worker-protocol.ts'
import { FASHION_MNIST_NORMALISATION, makeBatch } from '../../data/batches.ts'
import { seededPermutation } from '../../random.ts'
import { errorMessage } from '../../errors.ts'
import { loadDemoSet } from '../demo-data.ts'
import { segmentError } from '../../training/referee.ts'
import { SEGMENT_STEPS } from '../../training/unit.ts'
import { ZOO_RECIPES } from '../../graph/model-recipe.ts'
import { STAGE_COUNTS, STAGE_TOLERANCE, type StageCheckResult } from '../../compute/stage-check.ts'

function concatFloat32(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * The zoo's CNN with dropout on its dense layer: WebGPU runs a step per engine run and wasm a stack of steps,
 * so the check also shows both feed the same dropout masks (graph/dropout.ts) for the same batches.
 */
export const CHECK_SPEC: TrainSpec = { model: { ...ZOO_RECIPES.cnn, spec: { ...ZOO_RECIPES.cnn.spec, dropout: 0.25 } }, batchSize: 32, optimizer: 'adamw', seed: 7 }
/** One audit segment: the check measures what the referee's tolerance applies to. */
export const CHECK_STEPS = SEGMENT_STEPS
const CHECK_LR = 0.002
export const AGREEMENT_TOLERANCE = 1e-3

export interface BackendRun {
  backend: ExecutionBackend
  compileMs: number
  summary: RunSummary
  fellBackFrom: string | null
}

export type DeviceCheckState =
  | { status: 'idle' }
  | { status: 'running'; phase: string }
  /** `segmentError`: how far apart the engines ended, relative to how far they moved (what audits compare). */
  | { status: 'done'; runs: BackendRun[]; comparison: (RunComparison & { segmentError: number }) | null; stages: StageCheck }
  | { status: 'failed'; error: string }

/** A model split into stages on the device's own engine, against the unsplit model (compute/stage-check.ts). */
export type StageCheck =
  /** The worst parameter gradient error over every stage count, and whether it is within the engine's bar. */
  | { backend: ExecutionBackend; results: StageCheckResult[]; maxRelative: number; agree: boolean; error: null }
  /** The stage check could not run; the engine comparison above it still stands. */
  | { backend: ExecutionBackend; error: string }

async function checkStagesOn(backend: ExecutionBackend, threads: number): Promise<StageCheck> {
  const client = ComputeClient.spawn()
  try {
    const results = await client.checkStages(backend, threads)
    const maxRelative = Math.max(...results.map((r) => r.maxRelative))
    return { backend, results, maxRelative, agree: maxRelative < STAGE_TOLERANCE[backend], error: null }
  } catch (error) {
    return { backend, error: errorMessage(error) }
  } finally {
    client.terminate()
  }
}

async function runOn(backend: ExecutionBackend, threads: number, batches: Array<{ x: Float32Array; y: Float32Array }>, onPhase: (p: string) => void) {
  const client = ComputeClient.spawn()
  let fellBackFrom: string | null = null
  client.onEvent((event) => {
    if (event.type === 'fallback') fellBackFrom = `${event.from}: ${event.reason}`
    else onPhase(`${backend}: step ${event.step} of ${CHECK_STEPS}, loss ${event.loss.toFixed(3)}`)
  })
  try {
    onPhase(`${backend}: compiling the training graph…`)
    const ready = await client.init(CHECK_SPEC, { backend, wasmThreads: threads })
    const start = await client.readParams()
    const summary = await client.train(batches, CHECK_LR, 1)
    const params = await client.readParams()
    return { run: { backend: ready.backend, compileMs: ready.compileMs, summary, fellBackFrom }, params, start }
  } finally {
    client.terminate()
  }
}

export function useDeviceCheck(choice: BackendChoice | null): { state: DeviceCheckState; start: () => void } {
  const [state, setState] = useState<DeviceCheckState>({ status: 'idle' })
  const start = useCallback(() => {
    if (choice === null) return
    void (async () => {
      try {
        setState({ status: 'running', phase: 'downloading sample data…' })
        const set = await loadDemoSet('train')
        const order = seededPermutation(set.count, CHECK_SPEC.seed)
        const batches = Array.from({ length: CHECK_STEPS }, (_, s) => makeBatch(set, order.subarray(s * CHECK_SPEC.batchSize, (s + 1) * CHECK_SPEC.batchSize), FASHION_MNIST_NORMALISATION))
        const backends: ExecutionBackend[] = choice.backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm']
        const results = []
        for (const backend of backends) results.push(await runOn(backend, choice.wasmThreads, batches, (phase) => setState({ status: 'running', phase })))
        const [first, second] = results
        const flat = (params: Record<string, Float32Array>) => concatFloat32(Object.keys(second?.params ?? {}).sort().map((k) => params[k]!))
        const comparison =
          second === undefined
            ? null
            : { ...compareRuns({ params: first!.params, losses: first!.run.summary.losses }, { params: second.params, losses: second.run.summary.losses }), segmentError: segmentError(flat(second.start), flat(first!.params), flat(second.params)) }
        // On the engine the first run used: a WebGPU session that fell back to wasm checks wasm.
        const engine = first!.run.backend
        setState({ status: 'running', phase: `${engine}: a model split into ${STAGE_COUNTS.join(', ')} stages…` })
        const stages = await checkStagesOn(engine, choice.wasmThreads)
        setState({ status: 'done', runs: results.map((r) => r.run), comparison, stages })
      } catch (error) {
        setState({ status: 'failed', error: errorMessage(error) })
      }
    })()
  }, [choice])
  return { state, start }
}
