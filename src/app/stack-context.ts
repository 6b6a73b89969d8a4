// What every page may read about this tab's place in the stack: config, device, swarm membership, chain.
import { createContext, useContext } from 'react'
import type { StackConfig } from '../stack/stack-config.ts'
import type { DeviceState } from './hooks/useDevice.ts'
import type { SwarmState } from './hooks/useSwarm.ts'
import type { ChainStatus } from './hooks/useChainStatus.ts'

export interface StackState {
  config: StackConfig
  device: DeviceState
  swarm: SwarmState
  chain: ChainStatus
}

export const StackContext = createContext<StackState | null>(null)

export function useStack(): StackState {
  const value = useContext(StackContext)
  if (value === null) throw new Error('useStack must be used inside <App>')
  return value
}
