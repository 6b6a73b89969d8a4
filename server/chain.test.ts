import { describe, expect, it } from 'vitest'
import { startChain } from './chain.ts'
import { freePort } from './ports.ts'

async function rpc(url: string, method: string): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }) })
  return ((await response.json()) as { result: unknown }).result
}

describe('local chain', () => {
  it('starts anvil from the npm package, answers JSON-RPC, and stops cleanly', async () => {
    const chain = await startChain({ host: '127.0.0.1', port: await freePort('127.0.0.1') })
    expect(await rpc(chain.rpcUrl, 'eth_chainId')).toBe('0x7a69')
    await chain.stop()
    await expect(fetch(chain.rpcUrl, { method: 'POST' })).rejects.toThrow('fetch failed')
  })

  it('fails with anvil output when the port is taken', async () => {
    const port = await freePort('127.0.0.1')
    const first = await startChain({ host: '127.0.0.1', port })
    try {
      await expect(startChain({ host: '127.0.0.1', port })).rejects.toThrow(/already in use/)
    } finally {
      await first.stop()
    }
  })
})
