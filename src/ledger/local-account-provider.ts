// An EIP-1193 provider backed by a viem local account: signs in-process and sends raw transactions to the
// chain's RPC. It is the burner wallet on the local chain (a volunteer with no wallet still earns) and, in
// the e2e suite, the injected wallet announced over EIP-6963 — the same code path MetaMask takes in the app.
import { BaseError, createWalletClient, http, numberToHex, type Chain, type EIP1193Parameters, type Hex, type LocalAccount, type TypedDataDefinition } from 'viem'

type Listener = (...args: unknown[]) => void

export interface LocalAccountProvider {
  request(args: { method: string; params?: unknown }): Promise<unknown>
  on(event: string, listener: Listener): void
  removeListener(event: string, listener: Listener): void
}

class ProviderRpcError extends Error {
  readonly code: number
  readonly data: Hex | undefined
  constructor(code: number, message: string, data?: Hex) {
    super(message)
    this.code = code
    this.data = data
  }
}

function revertData(error: unknown): Hex | undefined {
  const found = error instanceof BaseError ? error.walk((e) => typeof (e as { data?: unknown }).data === 'string' && /^0x[0-9a-fA-F]{8,}$/.test((e as { data: string }).data)) : null
  return (found as { data?: Hex } | null)?.data
}

export function localAccountProvider(account: LocalAccount, chain: Chain, rpcUrl: string): LocalAccountProvider {
  const wallet = createWalletClient({ account, chain, transport: http(rpcUrl, { retryCount: 0 }) })
  const listeners = new Map<string, Set<Listener>>()
  // Like a browser wallet: no accounts are exposed until the page asks (eth_requestAccounts), so an app
  // cannot connect silently on load.
  let authorized = false
  const forward = (method: string, params: unknown) => wallet.request({ method, params } as EIP1193Parameters as never)
  return {
    async request({ method, params }) {
      const list = (Array.isArray(params) ? params : []) as unknown[]
      switch (method) {
        case 'eth_requestAccounts':
          authorized = true
          return [account.address]
        case 'eth_accounts':
          return authorized ? [account.address] : []
        case 'eth_chainId':
          return numberToHex(chain.id)
        case 'net_version':
          return String(chain.id)
        case 'wallet_switchEthereumChain': {
          const wanted = Number((list[0] as { chainId?: string } | undefined)?.chainId)
          if (wanted !== chain.id) throw new ProviderRpcError(4902, `this wallet only knows chain ${chain.id} (${chain.name})`)
          return null
        }
        case 'wallet_requestPermissions':
          authorized = true
          return [{ parentCapability: 'eth_accounts' }]
        case 'wallet_getPermissions':
          return authorized ? [{ parentCapability: 'eth_accounts' }] : []
        case 'personal_sign':
          return account.signMessage({ message: { raw: list[0] as Hex } })
        case 'eth_signTypedData_v4': {
          const typed = (typeof list[1] === 'string' ? JSON.parse(list[1]) : list[1]) as TypedDataDefinition & { types: Record<string, unknown> }
          // viem derives the domain type itself and refuses one passed in types.
          const types = Object.fromEntries(Object.entries(typed.types).filter(([name]) => name !== 'EIP712Domain'))
          return account.signTypedData({ ...typed, types } as TypedDataDefinition)
        }
        case 'eth_sendTransaction': {
          const tx = list[0] as { to?: Hex; data?: Hex; value?: Hex; gas?: Hex }
          try {
            return await wallet.sendTransaction({ account, chain, to: tx.to, data: tx.data, value: tx.value ? BigInt(tx.value) : undefined, gas: tx.gas ? BigInt(tx.gas) : undefined })
          } catch (error) {
            // Like a browser wallet, hand back the revert data (EIP-1474 code 3), so the app decodes the
            // contract's named error instead of seeing an opaque failure.
            const data = revertData(error)
            if (data) throw new ProviderRpcError(3, 'execution reverted', data)
            throw error
          }
        }
        default:
          return forward(method, params)
      }
    },
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set())
      listeners.get(event)!.add(listener)
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener)
    },
  }
}
