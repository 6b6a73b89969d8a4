// "Donate compute": runs a VolunteerClient on this tab's peer, with units executed in the compute worker on
// the backend the device check chose. The usage slider throttles the worker between steps; pausing holds the
// worker at once and stops asking for units. Whether the tab was donating survives a reload.
// Donate works before the swarm is up: the compute worker starts and warms its engine up as soon as the device
// check is done (about 3 s that used to follow the job's announcement), and the volunteer joins when the peer is.
import { useCallback, useEffect, useRef, useState } from 'react'
import { ComputeClient } from '../../compute/compute-client.ts'
import { WorkerInnerEngine } from '../../compute/inner-engine.ts'
import { engineTuning } from '../../compute/engine-tuning.ts'
import { browserCalibrationStore } from '../../compute/auto-tune.ts'
import type { BackendChoice } from '../../compute/backend-choice.ts'
import { VolunteerClient, type VolunteerStatus } from '../../roles/volunteer-client.ts'
import { StageVolunteer } from '../../roles/stage-volunteer.ts'
import { jobRecipe, type JobSpec } from '../../training/job.ts'
import { DEFAULT_PREFS, loadPrefs, savePrefs, settleChoices, type VolunteerPrefs } from '../volunteer-prefs.ts'
import type { TabPeer } from './useSwarm.ts'
import { errorMessage } from '../../errors.ts'

export interface LiveStep {
  step: number
  samplesPerSecond: number
  loss: number
}

export interface VolunteerControls {
  status: VolunteerStatus | null
  live: LiveStep | null
  running: boolean
  paused: boolean
  prefs: VolunteerPrefs
  /** True when this tab started donating by itself because it was donating before a reload. */
  resumed: boolean
  start: () => void
  stop: () => void
  setPaused: (paused: boolean) => void
  setUsage: (usage: number) => void
  setPauseWhenHidden: (value: boolean) => void
  /** The pipeline stages this tab holds for a staged job (issue 19): none for a whole-model job. */
  stages: Array<{ jobId: string; stage: number; version: number }>
  /** Verified FLOPs the staged job's coordinator has credited this tab with (null before it said). */
  stageCredit: number | null
}

export function useVolunteer(peer: TabPeer | null, choice: BackendChoice | null, jobId: string | null): VolunteerControls {
  const [status, setStatus] = useState<VolunteerStatus | null>(null)
  const [live, setLive] = useState<LiveStep | null>(null)
  const [paused, setPausedState] = useState(false)
  const [prefs, setPrefs] = useState<VolunteerPrefs | null>(null)
  const [resumed, setResumed] = useState(false)
  const client = useRef<VolunteerClient | null>(null)
  const stageVolunteer = useRef<StageVolunteer | null>(null)
  const [stages, setStages] = useState<VolunteerControls['stages']>([])
  const [stageCredit, setStageCredit] = useState<number | null>(null)
  const compute = useRef<ComputeClient | null>(null)
  /** Donate was pressed before the device check or the swarm was ready: the volunteer starts when they are. */
  const wanted = useRef(false)
  /**
   * Choices made before the peer was ready (Donate, Stop, the usage slider): they are kept for the peer's identity
   * slot, which is only known then, and win over what that slot remembered.
   */
  const early = useRef<Partial<VolunteerPrefs>>({})
  const pausedNow = useRef(false)
  const lastJob = useRef<string | undefined>(undefined)
  const [running, setRunning] = useState(false)

  const updatePrefs = useCallback(
    (patch: Partial<VolunteerPrefs>) => {
      if (!peer) early.current = { ...early.current, ...patch }
      setPrefs((current) => {
        const next = { ...(current ?? loadPrefs(peer?.slot ?? 0)), ...patch }
        if (peer) savePrefs(peer.slot, next)
        return next
      })
    },
    [peer],
  )

  const stop = useCallback(() => {
    wanted.current = false
    const volunteer = client.current
    const worker = compute.current
    const staged = stageVolunteer.current
    client.current = null
    compute.current = null
    stageVolunteer.current = null
    setRunning(false)
    setLive(null)
    setStages([])
    setStageCredit(null)
    const stopped = Promise.all([volunteer?.stop(), staged?.stop()])
    void stopped.finally(() => worker?.terminate())
  }, [])

  /** The compute worker, started and warming up on the threads the first unit will most likely run with. */
  const startCompute = useCallback((device: BackendChoice, usage: number): ComputeClient => {
    if (compute.current) return compute.current
    const worker = ComputeClient.spawn()
    worker.onEvent((event) => event.type === 'progress' && setLive({ step: event.step, samplesPerSecond: event.samplesPerSecond, loss: event.loss }))
    void worker.throttle(usage, pausedNow.current).catch(() => undefined)
    // A warm-up that fails (or a worker replaced for other threads) costs nothing: the job's init starts the engine.
    void worker.warm({ backend: device.backend, wasmThreads: device.wasmThreads }).catch((error: unknown) => console.info(`[volunteer] engine warm-up: ${errorMessage(error)}`))
    compute.current = worker
    return worker
  }, [])

  const launch = useCallback(
    (usage: number) => {
      if (!peer || !choice || client.current) return
      const worker = startCompute(choice, usage)
      // A worker started before the saved settings were known runs at what they say from now on.
      void worker.throttle(usage, pausedNow.current).catch(() => undefined)
      // Threads and micro-batch: measured once per device and job shape, after the first unit (engine-tuning.ts).
      const tuning = engineTuning(worker, choice, {
        spawn: ComputeClient.spawn,
        store: browserCalibrationStore(),
        log: (line) => console.info(`[volunteer] calibration: ${line}`),
        mayMeasure: () => (volunteer.status.verdict?.accepted ?? 0) + (volunteer.status.verdict?.rejected ?? 0) > 0,
      })
      const engine = new WorkerInnerEngine(worker)
      const volunteer = new VolunteerClient({
        node: peer.swarm.node,
        exchange: peer.exchange,
        privateKey: peer.privateKey,
        feed: peer.jobs,
        ...(jobId ? { jobId } : {}),
        onStatus: (next) => {
          setStatus(next)
          const working = next?.job?.id
          if (working && working !== lastJob.current) {
            lastJob.current = working
            updatePrefs({ lastJob: working })
          }
        },
        log: (line) => console.info(`[volunteer] ${line}`),
        // One engine for the session: the batches it gets back from the worker refill the next unit's.
        engineFor: async (job: JobSpec) => ({ engine, flopsPerStep: await tuning(job) }),
      })
      if (pausedNow.current) volunteer.setPaused(true)
      client.current = volunteer
      volunteer.start()
      // A staged job's volunteers hold a stage instead of taking units: this tab asks the job's coordinator
      // for one (nothing happens for a whole-model job), and runs it in the same compute worker.
      if (jobId) {
        void StageVolunteer.start({
          node: peer.swarm.node,
          exchange: peer.exchange,
          job: (id) => peer.jobs.get(id)?.announcement.job ?? null,
          coordinatorAddrs: (id) => peer.jobs.get(id)?.announcement.addrs ?? [],
          engine: (job, from, to, rows) => worker.stageEngine(jobRecipe(job), from, to, rows, choice.backend, choice.wasmThreads),
          onHolding: setStages,
          onCredit: (_, flops) => setStageCredit(flops),
          log: (line) => console.info(`[stage] ${line}`),
          // The stage it trains is served to the use page too (announced with this tab's presence).
          announce: (offers) => peer.swarm.setStages(offers),
        }).then((staged) => {
          if (client.current !== volunteer) return void staged.stop()
          stageVolunteer.current = staged
          if (pausedNow.current) staged.setPaused(true)
          staged.join(jobId)
        }, (error: unknown) => console.warn(`[stage] could not start: ${errorMessage(error)}`))
      }
      setRunning(true)
    },
    [peer, choice, jobId, updatePrefs, startCompute],
  )

  // Donate pressed during the device check: the worker starts the moment the check is done.
  useEffect(() => {
    if (choice && wanted.current) startCompute(choice, prefs?.usage ?? 1)
  }, [choice, prefs, startCompute])

  // Settings are per identity slot, so two tabs keep their own; a tab that was donating resumes, and one whose
  // Donate was pressed while the swarm was starting begins (one stopped meanwhile does not).
  useEffect(() => {
    if (!peer || !choice) return
    const settled = settleChoices(loadPrefs(peer.slot), early.current, wanted.current)
    early.current = {}
    if (settled.store) savePrefs(peer.slot, settled.prefs)
    queueMicrotask(() => {
      setPrefs(settled.prefs)
      if (client.current || settled.start === 'no') return
      if (settled.start === 'resumed') setResumed(true)
      launch(settled.prefs.usage)
    })
  }, [peer, choice, launch])

  const start = useCallback(() => {
    const usage = prefs?.usage ?? 1
    pausedNow.current = false
    setPausedState(false)
    if (!peer || !choice) {
      wanted.current = true
      updatePrefs({ donating: true })
      if (choice) startCompute(choice, usage)
      setRunning(true)
      return
    }
    updatePrefs({ donating: true })
    launch(usage)
  }, [prefs, peer, choice, updatePrefs, launch, startCompute])

  const stopDonating = useCallback(() => {
    updatePrefs({ donating: false })
    setResumed(false)
    stop()
  }, [updatePrefs, stop])

  const setPaused = useCallback(
    (value: boolean) => {
      pausedNow.current = value
      setPausedState(value)
      client.current?.setPaused(value)
      stageVolunteer.current?.setPaused(value)
      void compute.current?.throttle(prefs?.usage ?? 1, value).catch(() => undefined)
    },
    [prefs],
  )

  const setUsage = useCallback(
    (usage: number) => {
      updatePrefs({ usage })
      void compute.current?.throttle(usage, pausedNow.current).catch(() => undefined)
    },
    [updatePrefs],
  )

  const setPauseWhenHidden = useCallback((value: boolean) => updatePrefs({ pauseWhenHidden: value }), [updatePrefs])

  useEffect(() => () => stop(), [stop])
  return { status, live, running, paused, prefs: prefs ?? DEFAULT_PREFS, resumed, start, stop: stopDonating, setPaused, setUsage, setPauseWhenHidden, stages, stageCredit }
}
