// The burner and e2e wallet's EIP-1193 provider without a chain: what it answers itself (accounts only once
// asked, its one chain, signatures), and what it sends to the RPC, with fetch answering as a node would. The
// anvil test beside it checks the same provider against real contract reverts.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BaseError, parseTransaction, recoverTransactionAddress, verifyMessage, verifyTypedData, type Hex, type TransactionSerialized } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { localAccountProvider } from './local-account-provider.ts'

// Anvil's first well-known key: never holds anything outside a local chain.
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcd6ed9c7b66f9c2ff')
const RPC = 'http://rpc.invalid:8545/'
const TX_HASH: Hex = `0x${'42'.repeat(32)}`

interface RpcCall { method: string; params: unknown[] }

/** Answers the provider's RPC requests as a node would; `revertData` is what eth_estimateGas reverts with. */
function fakeNode(revertData?: unknown) {
  const calls: RpcCall[] = []
  vi.stubGlobal('fetch', async (url: string, init: { body: string }) => {
    expect(url).toBe(RPC)
    const { id, method, params } = JSON.parse(init.body) as RpcCall & { id: number }
    calls.push({ method, params })
    const reply = (body: object) => new Response(JSON.stringify({ jsonrpc: '2.0', id, ...body }), { headers: { 'content-type': 'application/json' } })
    switch (method) {
      case 'eth_gasPrice': return new Response('overloaded', { status: 503 })
      case 'eth_getTransactionCount': return reply({ result: '0x5' })
      case 'eth_getBlockByNumber': return reply({ result: { number: '0x1', baseFeePerGas: '0x3b9aca00', timestamp: '0x1', hash: `0x${'00'.repeat(32)}`, transactions: [] } })
      case 'eth_maxPriorityFeePerGas': return reply({ result: '0x1' })
      case 'eth_estimateGas': return revertData === undefined ? reply({ result: '0x7530' }) : reply({ error: { code: 3, message: 'execution reverted', data: revertData } })
      case 'eth_sendRawTransaction': return reply({ result: TX_HASH })
      case 'eth_blockNumber': return reply({ result: '0x10' })
      case 'eth_getBalance': return reply({ result: '0x64' })
      default: return reply({ error: { code: -32601, message: `method ${method} not found` } })
    }
  })
  return { provider: localAccountProvider(account, anvil, RPC), calls }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

async function rpcError(promise: Promise<unknown>): Promise<{ code?: number; message: string; data?: unknown }> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(Error)
  return error as { code?: number; message: string; data?: unknown }
}

describe('localAccountProvider without a chain', () => {
  it('shows no account until the page asks for one, as a browser wallet does', async () => {
    const { provider, calls } = fakeNode()
    expect(await provider.request({ method: 'eth_accounts' })).toEqual([])
    expect(await provider.request({ method: 'wallet_getPermissions' })).toEqual([])
    expect(await provider.request({ method: 'eth_requestAccounts' })).toEqual([account.address])
    expect(await provider.request({ method: 'eth_accounts' })).toEqual([account.address])
    expect(await provider.request({ method: 'wallet_getPermissions' })).toEqual([{ parentCapability: 'eth_accounts' }])
    expect(calls).toEqual([])
  })

  it('also exposes its account once the page requests the permission', async () => {
    const { provider } = fakeNode()
    expect(await provider.request({ method: 'wallet_requestPermissions', params: [{ eth_accounts: {} }] })).toEqual([{ parentCapability: 'eth_accounts' }])
    expect(await provider.request({ method: 'eth_accounts' })).toEqual([account.address])
  })

  it('names its one chain, and refuses to switch to any other with EIP-3085\'s code 4902', async () => {
    const { provider } = fakeNode()
    expect(await provider.request({ method: 'eth_chainId' })).toBe('0x7a69')
    expect(await provider.request({ method: 'net_version' })).toBe('31337')
    expect(await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: '0x7a69' }] })).toBeNull()
    for (const params of [[{ chainId: '0x1' }], [], undefined]) {
      expect(await rpcError(provider.request({ method: 'wallet_switchEthereumChain', params }))).toMatchObject({ code: 4902, message: 'this wallet only knows chain 31337 (Anvil)' })
    }
  })

  it('signs a raw message as personal_sign asks, recoverable to its address', async () => {
    const { provider } = fakeNode()
    const signature = (await provider.request({ method: 'personal_sign', params: ['0x68656c6c6f', account.address] })) as Hex
    expect(signature).toBe(await account.signMessage({ message: 'hello' }))
    expect(await verifyMessage({ address: account.address, message: 'hello', signature })).toBe(true)
  })

  it('signs typed data given as JSON text or as an object, with the EIP712Domain type a dapp includes', async () => {
    const { provider } = fakeNode()
    const typed = {
      domain: { name: 'Tesserae', version: '1', chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const },
      types: {
        EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'version', type: 'string' }, { name: 'chainId', type: 'uint256' }, { name: 'verifyingContract', type: 'address' }],
        Binding: [{ name: 'peer', type: 'string' }, { name: 'epoch', type: 'uint64' }],
      },
      primaryType: 'Binding' as const,
      message: { peer: '12D3KooW', epoch: 3 },
    }
    const types = { Binding: typed.types.Binding }
    const expected = await account.signTypedData({ ...typed, types })
    expect(await provider.request({ method: 'eth_signTypedData_v4', params: [account.address, JSON.stringify(typed)] })).toBe(expected)
    expect(await provider.request({ method: 'eth_signTypedData_v4', params: [account.address, typed] })).toBe(expected)
    expect(await verifyTypedData({ ...typed, types, address: account.address, signature: expected })).toBe(true)
    // The domain is typed from the domain object itself, in EIP-712's order, as the escrow's EIP712 hashes it,
    // whatever order a dapp lists EIP712Domain's fields in.
    const reordered = { ...typed, types: { ...typed.types, EIP712Domain: [...typed.types.EIP712Domain].reverse() } }
    expect(await provider.request({ method: 'eth_signTypedData_v4', params: [account.address, JSON.stringify(reordered)] })).toBe(expected)
  })

  it('signs and sends a transaction with the value and gas it was given', async () => {
    const { provider, calls } = fakeNode()
    const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    expect(await provider.request({ method: 'eth_sendTransaction', params: [{ to, data: '0x1234', value: '0x10', gas: '0x5208' }] })).toBe(TX_HASH)
    // Gas given: nothing to estimate.
    expect(calls.map((c) => c.method)).not.toContain('eth_estimateGas')
    const raw = calls.find((c) => c.method === 'eth_sendRawTransaction')!.params[0] as TransactionSerialized
    expect(parseTransaction(raw)).toMatchObject({ to: to.toLowerCase(), data: '0x1234', value: 16n, gas: 21_000n, nonce: 5, chainId: 31337 })
    expect(await recoverTransactionAddress({ serializedTransaction: raw as never })).toBe(account.address)
  })

  it('estimates the gas of a transaction given none, and sends no value it was not given', async () => {
    const { provider, calls } = fakeNode()
    const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    expect(await provider.request({ method: 'eth_sendTransaction', params: [{ to }] })).toBe(TX_HASH)
    const estimate = calls.find((c) => c.method === 'eth_estimateGas')!.params[0] as Record<string, unknown>
    expect(estimate.value).toBeUndefined()
    const tx = parseTransaction(calls.find((c) => c.method === 'eth_sendRawTransaction')!.params[0] as TransactionSerialized)
    expect(tx.gas).toBe(30_000n)
    expect(tx.value ?? 0n).toBe(0n)
  })

  it('hands back a revert\'s data with EIP-1474 code 3 once it holds at least a 4-byte selector', async () => {
    for (const data of ['0x12345678', '0xABCDEF12', '0x12345678aabb']) {
      const { provider } = fakeNode(data)
      expect(await rpcError(provider.request({ method: 'eth_sendTransaction', params: [{ to: account.address, data: '0xdead' }] })), data).toMatchObject({ code: 3, message: 'execution reverted', data })
    }
  })

  it('passes any other failure on as it came, without inventing revert data', async () => {
    for (const data of ['0x1234567', 'zz0x12345678', '0x12345678zz', '', 12345678, ['0x12345678']]) {
      const { provider } = fakeNode(data)
      const error = await rpcError(provider.request({ method: 'eth_sendTransaction', params: [{ to: account.address, data: '0xdead' }] }))
      expect(error, String(data)).toBeInstanceOf(BaseError)
      expect(error.code, String(data)).not.toBe(3)
      // The node's own words are still there for explainChainError.
      expect(error.message, String(data)).toMatch(/execution reverted/)
    }
  })

  it('passes on a transaction it cannot even build, before asking the node anything', async () => {
    const { provider, calls } = fakeNode()
    await expect(provider.request({ method: 'eth_sendTransaction', params: [{ to: account.address, value: 'ten' }] })).rejects.toThrow(SyntaxError)
    expect(calls).toEqual([])
  })

  it('does not retry a request the node failed, as a retried send could go out twice', async () => {
    const { provider, calls } = fakeNode()
    await expect(provider.request({ method: 'eth_gasPrice' })).rejects.toThrow(/HTTP request failed/)
    expect(calls).toEqual([{ method: 'eth_gasPrice' }])
  })

  it('forwards every other method to the node with its parameters', async () => {
    const { provider, calls } = fakeNode()
    expect(await provider.request({ method: 'eth_blockNumber' })).toBe('0x10')
    expect(await provider.request({ method: 'eth_getBalance', params: [account.address, 'latest'] })).toBe('0x64')
    expect(calls).toEqual([{ method: 'eth_blockNumber' }, { method: 'eth_getBalance', params: [account.address, 'latest'] }])
  })

  it('lets a page add and remove event listeners, even for events it never registered', () => {
    const { provider } = fakeNode()
    const listener = () => undefined
    expect(() => provider.on('accountsChanged', listener)).not.toThrow()
    expect(() => provider.on('accountsChanged', () => undefined)).not.toThrow()
    expect(() => provider.removeListener('accountsChanged', listener)).not.toThrow()
    expect(() => provider.removeListener('chainChanged', listener)).not.toThrow()
  })
})
