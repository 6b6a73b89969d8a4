// An injected wallet for e2e: an EIP-1193 provider in the page, announced over EIP-6963 like MetaMask, whose
// every request is answered in Node by a viem local account (src/ledger/local-account-provider.ts) against
// the stack's anvil. The app cannot tell it from a browser extension wallet.
import type { BrowserContext } from '@playwright/test'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { localAccountProvider } from '../src/ledger/local-account-provider.ts'
import { chainOf } from '../src/ledger/chain.ts'

export const E2E_WALLET_NAME = 'E2E Wallet'

export async function injectWallet(context: BrowserContext, key: Hex, rpcUrl: string, chainId = 31337): Promise<`0x${string}`> {
  const account = privateKeyToAccount(key)
  const chain = chainOf({ chainId, name: 'Local anvil', rpcUrl })
  const provider = localAccountProvider(account, chain, rpcUrl)
  await context.exposeBinding('__e2eWallet', async (_source, method: string, params: string) => {
    try {
      const result = await provider.request({ method, params: JSON.parse(params) as unknown })
      return JSON.stringify({ result }, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))
    } catch (error) {
      const e = error as { code?: number; message?: string; data?: string }
      return JSON.stringify({ error: { code: e.code ?? -32603, message: e.message ?? String(error), data: e.data } })
    }
  })
  await context.addInitScript((name: string) => {
    const call = (window as unknown as { __e2eWallet: (m: string, p: string) => Promise<string> }).__e2eWallet
    const provider = {
      async request({ method, params }: { method: string; params?: unknown }) {
        const reply = JSON.parse(await call(method, JSON.stringify(params ?? []))) as { result?: unknown; error?: { code: number; message: string; data?: string } }
        if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code, data: reply.error.data })
        return reply.result
      },
      on() {},
      removeListener() {},
    }
    const info = { uuid: '6f0e3f4a-2f3b-4d8e-9a57-7b1d3c7e0e2a', name, icon: 'data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E', rdns: 'org.tesserae.e2e' }
    const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }))
    window.addEventListener('eip6963:requestProvider', announce)
    announce()
  }, E2E_WALLET_NAME)
  return account.address
}
