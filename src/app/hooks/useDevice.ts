// Probes the device once per tab inside the compute worker and derives the backend choice from it.
import { useEffect, useState } from 'react'
import { ComputeClient } from '../../compute/compute-client.ts'
import { chooseBackend, type BackendChoice } from '../../compute/backend-choice.ts'
import type { DeviceReport } from '../../compute/device-report.ts'
import { errorMessage } from '../../errors.ts'

export type DeviceState =
  | { status: 'probing' }
  | { status: 'ready'; report: DeviceReport; choice: BackendChoice }
  | { status: 'failed'; error: string }

export function useDevice(): DeviceState {
  const [state, setState] = useState<DeviceState>({ status: 'probing' })
  useEffect(() => {
    const client = ComputeClient.spawn()
    let live = true
    client
      .probe()
      .then(
        (report) => live && setState({ status: 'ready', report, choice: chooseBackend(report) }),
        (error: unknown) => live && setState({ status: 'failed', error: errorMessage(error) }),
      )
      // The probe's worker is done once it has answered (training starts a worker of its own); kept, it held
      // an isolate and a WebGPU device in the tab for the whole visit.
      .finally(() => client.terminate())
    return () => {
      live = false
      client.terminate()
    }
  }, [])
  return state
}
