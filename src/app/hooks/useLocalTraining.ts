// Trains a zoo model on the demo subset inside this tab's compute worker, in chunks of steps so progress,
// throttling and stopping take effect promptly. Pauses while the tab is hidden if the user asked for that.
import { useCallback, useEffect, useRef, useState } from 'react'
import { ComputeClient } from '../../compute/compute-client.ts'
import { autoTune, browserCalibrationStore } from '../../compute/auto-tune.ts'
import type { BackendChoice } from '../../compute/backend-choice.ts'
import type { ExecutionBackend } from '../../compute/train-session.ts'
import type { TrainSpec } from '../../compute/worker-protocol.ts'
import { FASHION_MNIST_NORMALISATION, makeBatch } from '../../data/batches.ts'
import { seededPermutation } from '../../random.ts'
import { errorMessage } from '../../errors.ts'
import { loadDemoSet } from '../demo-data.ts'
import { usePageVisible } from './usePageVisible.ts'
import { ZOO_RECIPES } from '../../graph/model-recipe.ts'

export interface LocalTrainingRequest {
  model: 'mlp' | 'cnn'
  steps: number
  batchSize: number
  lr: number
}

export interface LocalTrainingState {
  status: 'idle' | 'preparing' | 'running' | 'done' | 'stopped' | 'failed'
  step: number
  totalSteps: number
  losses: number[]
  accuracy: number | null
  samplesPerSecond: number | null
  gflopsPerSecond: number | null
  backend: ExecutionBackend | null
  /** The measured engine setting, and whether it was remembered from an earlier run on this device. */
  engine: { wasmThreads: number; microBatch: number; remembered: boolean } | null
  notice: string | null
  error: string | null
}

const STEPS_PER_CHUNK = 10
const IDLE: LocalTrainingState = { status: 'idle', step: 0, totalSteps: 0, losses: [], accuracy: null, samplesPerSecond: null, gflopsPerSecond: null, backend: null, engine: null, notice: null, error: null }

export function useLocalTraining(choice: BackendChoice | null, dutyCycle: number, paused: boolean, pauseWhenHidden: boolean) {
  const [state, setState] = useState<LocalTrainingState>(IDLE)
  const client = useRef<ComputeClient | null>(null)
  const stopRequested = useRef(false)
  const visible = usePageVisible()
  const effectivelyPaused = paused || (pauseWhenHidden && !visible)

  useEffect(() => {
    void client.current?.throttle(dutyCycle, effectivelyPaused).catch((error: unknown) => setState((s) => ({ ...s, notice: `could not apply the limit: ${errorMessage(error)}` })))
  }, [dutyCycle, effectivelyPaused])

  useEffect(() => () => client.current?.terminate(), [])

  const start = useCallback(
    (request: LocalTrainingRequest) => {
      if (choice === null || client.current !== null) return
      stopRequested.current = false
      const worker = ComputeClient.spawn()
      client.current = worker
      setState({ ...IDLE, status: 'preparing', totalSteps: request.steps, notice: 'downloading the demo data and compiling the training graph…' })
      worker.onEvent((event) => {
        if (event.type === 'fallback') setState((s) => ({ ...s, backend: event.to, notice: `switched from ${event.from} to ${event.to}: ${event.reason}` }))
        else setState((s) => ({ ...s, step: event.step, losses: [...s.losses, event.loss], accuracy: event.correct / request.batchSize }))
      })
      void (async () => {
        try {
          const set = await loadDemoSet('train')
          const spec: TrainSpec = { model: ZOO_RECIPES[request.model], batchSize: request.batchSize, optimizer: 'adamw', seed: 1 }
          const tuned = await autoTune(spec, choice, { spawn: ComputeClient.spawn, store: browserCalibrationStore(), onNotice: (text) => setState((s) => ({ ...s, notice: text })) })
          setState((s) => ({ ...s, engine: { wasmThreads: tuned.engine.wasmThreads, microBatch: tuned.engine.microBatch, remembered: tuned.remembered }, notice: 'compiling the training graph…' }))
          const ready = await worker.init(spec, tuned.engine)
          await worker.throttle(dutyCycle, effectivelyPaused)
          setState((s) => ({ ...s, status: 'running', backend: ready.backend, notice: null }))
          const perEpoch = Math.floor(set.count / request.batchSize)
          let order = seededPermutation(set.count, 1)
          for (let first = 1; first <= request.steps && !stopRequested.current; first += STEPS_PER_CHUNK) {
            const count = Math.min(STEPS_PER_CHUNK, request.steps - first + 1)
            const batches = Array.from({ length: count }, (_, i) => {
              const s = (first - 1 + i) % perEpoch
              if (s === 0 && first + i > 1) order = seededPermutation(set.count, first + i)
              return makeBatch(set, order.subarray(s * request.batchSize, (s + 1) * request.batchSize), FASHION_MNIST_NORMALISATION)
            })
            const summary = await worker.train(batches, request.lr, first, { handOver: true })
            setState((s) => ({ ...s, samplesPerSecond: summary.samplesPerSecond, gflopsPerSecond: summary.gflopsPerSecond, backend: summary.backend }))
          }
          setState((s) => ({ ...s, status: stopRequested.current ? 'stopped' : 'done' }))
        } catch (error) {
          setState((s) => ({ ...s, status: 'failed', error: errorMessage(error) }))
        } finally {
          worker.terminate()
          client.current = null
        }
      })()
    },
    // dutyCycle and pause are applied by the effect above; a run must not restart when they change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [choice],
  )

  const stop = useCallback(() => {
    stopRequested.current = true
  }, [])

  return { state, start, stop, hiddenPause: pauseWhenHidden && !visible }
}
