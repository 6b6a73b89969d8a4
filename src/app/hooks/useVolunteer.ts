// "Donate compute": runs a VolunteerClient on this tab's peer, with units executed in the compute worker on
// the backend the device check chose. Pausing finishes the current unit; hiding the tab pauses when asked.
import { useCallback, useEffect, useRef, useState } from 'react'
import { ComputeClient } from '../../compute/compute-client.ts'
import { WorkerInnerEngine } from '../../compute/inner-engine.ts'
import type { BackendChoice } from '../../compute/backend-choice.ts'
import { VolunteerClient, type VolunteerStatus } from '../../roles/volunteer-client.ts'
import type { JobSpec } from '../../training/job.ts'
import type { TabPeer } from './useSwarm.ts'

export interface VolunteerControls {
  status: VolunteerStatus | null
  running: boolean
  paused: boolean
  start: () => void
  stop: () => void
  setPaused: (paused: boolean) => void
}

export function useVolunteer(peer: TabPeer | null, choice: BackendChoice | null): VolunteerControls {
  const [status, setStatus] = useState<VolunteerStatus | null>(null)
  const [paused, setPausedState] = useState(false)
  const client = useRef<{ volunteer: VolunteerClient; compute: ComputeClient } | null>(null)
  const [running, setRunning] = useState(false)

  const stop = useCallback(() => {
    const current = client.current
    client.current = null
    setRunning(false)
    if (current) void current.volunteer.stop().finally(() => current.compute.terminate())
  }, [])

  const start = useCallback(() => {
    if (!peer || !choice || client.current) return
    const compute = ComputeClient.spawn()
    const compiled = new Map<string, Promise<number>>()
    const volunteer = new VolunteerClient({
      node: peer.swarm.node,
      exchange: peer.exchange,
      privateKey: peer.privateKey,
      onStatus: setStatus,
      log: (line) => console.info(`[volunteer] ${line}`),
      engineFor: async (job: JobSpec) => {
        const key = `${job.model}/${job.batchSize}`
        if (!compiled.has(key)) {
          compiled.clear()
          compiled.set(key, compute.init({ model: job.model, batchSize: job.batchSize, optimizer: 'adamw', seed: job.seed }, choice.backend, choice.wasmThreads).then((ready) => ready.flopsPerStep))
        }
        return { engine: new WorkerInnerEngine(compute), flopsPerStep: await compiled.get(key)! }
      },
    })
    client.current = { volunteer, compute }
    volunteer.start()
    setRunning(true)
  }, [peer, choice])

  const setPaused = useCallback((value: boolean) => {
    setPausedState(value)
    client.current?.volunteer.setPaused(value)
  }, [])

  useEffect(() => () => stop(), [stop])
  return { status, running, paused, start, stop, setPaused }
}
