// Joins the swarm once per tab and re-renders on every swarm snapshot.
import { useEffect, useState } from 'react'
import { Swarm, type SwarmSnapshot } from '../../p2p/swarm.ts'
import type { Backend } from '../../p2p/presence.ts'
import type { StackConfig } from '../../stack/stack-config.ts'
import { errorMessage } from '../../errors.ts'

export type SwarmState = { status: 'starting' } | { status: 'running'; snapshot: SwarmSnapshot } | { status: 'failed'; error: string }

export function useSwarm(config: StackConfig, backend: Backend): SwarmState {
  const [state, setState] = useState<SwarmState>({ status: 'starting' })
  const [swarm, setSwarm] = useState<Swarm | null>(null)

  useEffect(() => {
    let live = true
    let started: Swarm | null = null
    Swarm.start({ relayAddrs: config.relayAddrs, iceServers: config.iceServers }).then(
      (s) => {
        started = s
        if (!live) return void s.stop()
        setSwarm(s)
        setState({ status: 'running', snapshot: s.current })
        s.subscribe((snapshot) => setState({ status: 'running', snapshot }))
      },
      (error: unknown) => live && setState({ status: 'failed', error: `Could not start the peer-to-peer node: ${errorMessage(error)}` }),
    )
    return () => {
      live = false
      void started?.stop()
    }
  }, [config])

  useEffect(() => swarm?.setBackend(backend), [swarm, backend])
  return state
}
