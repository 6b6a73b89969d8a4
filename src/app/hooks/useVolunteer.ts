// "Donate compute": runs a VolunteerClient on this tab's peer, with units executed in the compute worker on
// the backend the device check chose. The usage slider throttles the worker between steps; pausing holds the
// worker at once and stops asking for units. Whether the tab was donating survives a reload.
import { useCallback, useEffect, useRef, useState } from 'react'
import { ComputeClient } from '../../compute/compute-client.ts'
import { WorkerInnerEngine } from '../../compute/inner-engine.ts'
import { engineTuning } from '../../compute/engine-tuning.ts'
import { browserCalibrationStore } from '../../compute/auto-tune.ts'
import type { BackendChoice } from '../../compute/backend-choice.ts'
import { VolunteerClient, type VolunteerStatus } from '../../roles/volunteer-client.ts'
import type { JobSpec } from '../../training/job.ts'
import { DEFAULT_PREFS, loadPrefs, savePrefs, type VolunteerPrefs } from '../volunteer-prefs.ts'
import type { TabPeer } from './useSwarm.ts'

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
}

export function useVolunteer(peer: TabPeer | null, choice: BackendChoice | null, jobId: string | null): VolunteerControls {
  const [status, setStatus] = useState<VolunteerStatus | null>(null)
  const [live, setLive] = useState<LiveStep | null>(null)
  const [paused, setPausedState] = useState(false)
  const [prefs, setPrefs] = useState<VolunteerPrefs | null>(null)
  const [resumed, setResumed] = useState(false)
  const client = useRef<{ volunteer: VolunteerClient; compute: ComputeClient } | null>(null)
  const lastJob = useRef<string | undefined>(undefined)
  const [running, setRunning] = useState(false)

  const updatePrefs = useCallback(
    (patch: Partial<VolunteerPrefs>) => {
      setPrefs((current) => {
        const next = { ...(current ?? loadPrefs(peer?.slot ?? 0)), ...patch }
        if (peer) savePrefs(peer.slot, next)
        return next
      })
    },
    [peer],
  )

  const stop = useCallback(() => {
    const current = client.current
    client.current = null
    setRunning(false)
    setLive(null)
    if (current) void current.volunteer.stop().finally(() => current.compute.terminate())
  }, [])

  const launch = useCallback(
    (usage: number) => {
      if (!peer || !choice || client.current) return
      setPausedState(false)
      const compute = ComputeClient.spawn()
      compute.onEvent((event) => event.type === 'progress' && setLive({ step: event.step, samplesPerSecond: event.samplesPerSecond, loss: event.loss }))
      void compute.throttle(usage, false)
      // Threads and micro-batch: measured once per device and job shape, after the first unit (engine-tuning.ts).
      const tuning = engineTuning(compute, choice, {
        spawn: ComputeClient.spawn,
        store: browserCalibrationStore(),
        log: (line) => console.info(`[volunteer] calibration: ${line}`),
        mayMeasure: () => (volunteer.status.verdict?.accepted ?? 0) + (volunteer.status.verdict?.rejected ?? 0) > 0,
      })
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
        engineFor: async (job: JobSpec) => ({ engine: new WorkerInnerEngine(compute), flopsPerStep: await tuning(job) }),
      })
      client.current = { volunteer, compute }
      volunteer.start()
      setRunning(true)
    },
    [peer, choice, jobId, updatePrefs],
  )


  // Settings are per identity slot, so two tabs keep their own; a tab that was donating resumes.
  useEffect(() => {
    if (!peer || !choice) return
    const saved = loadPrefs(peer.slot)
    queueMicrotask(() => {
      setPrefs(saved)
      if (saved.donating && !client.current) {
        setResumed(true)
        launch(saved.usage)
      }
    })
  }, [peer, choice, launch])

  const start = useCallback(() => {
    const usage = prefs?.usage ?? 1
    updatePrefs({ donating: true })
    launch(usage)
  }, [prefs, updatePrefs, launch])

  const stopDonating = useCallback(() => {
    updatePrefs({ donating: false })
    setResumed(false)
    stop()
  }, [updatePrefs, stop])

  const setPaused = useCallback(
    (value: boolean) => {
      setPausedState(value)
      const current = client.current
      current?.volunteer.setPaused(value)
      void current?.compute.throttle(prefs?.usage ?? 1, value).catch(() => undefined)
    },
    [prefs],
  )

  const setUsage = useCallback(
    (usage: number) => {
      updatePrefs({ usage })
      void client.current?.compute.throttle(usage, paused).catch(() => undefined)
    },
    [updatePrefs, paused],
  )

  const setPauseWhenHidden = useCallback((value: boolean) => updatePrefs({ pauseWhenHidden: value }), [updatePrefs])

  useEffect(() => () => stop(), [stop])
  return { status, live, running, paused, prefs: prefs ?? DEFAULT_PREFS, resumed, start, stop: stopDonating, setPaused, setUsage, setPauseWhenHidden }
}
