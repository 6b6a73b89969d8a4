// The burner wallet, on the local chain only: a key kept in this browser's IndexedDB, topped up with test ETH
// by anvil's faucet call, and announced over EIP-6963 like any injected wallet. Lets a volunteer without a
// wallet bind, earn and claim; never offered on a real chain, where a key in page storage would be unsafe.
import { parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { burnerKeyName, loadOrCreateKey } from './key-store.ts'
import { localAccountProvider } from '../../ledger/local-account-provider.ts'
import { chainOf, readerFor } from '../../ledger/chain.ts'
import type { ChainConfig } from '../../stack/stack-config.ts'

const ICON = 'data:image/svg+xml;base64,' + btoa('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#d9480f"/><path d="M4 8h8M8 4v8" stroke="#fff" stroke-width="2"/></svg>')
export const BURNER_NAME = 'Burner wallet (local chain)'

export async function announceBurner(config: ChainConfig): Promise<void> {
  if (!config.local) return
  const account = privateKeyToAccount(await loadOrCreateKey(burnerKeyName(config.chainId)))
  const chain = chainOf(config)
  const client = readerFor(config)
  // Gas money for claims: anvil's faucet call, which a real chain would refuse (and we never call there).
  if ((await client.getBalance({ address: account.address })) < parseEther('1')) {
    await client.request({ method: 'anvil_setBalance' as never, params: [account.address, `0x${parseEther('100').toString(16)}`] as never })
  }
  const provider = localAccountProvider(account, chain, config.rpcUrl)
  const detail = Object.freeze({ info: { uuid: crypto.randomUUID(), name: BURNER_NAME, icon: ICON, rdns: 'org.tesserae.burner' }, provider })
  const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail }))
  window.addEventListener('eip6963:requestProvider', announce)
  announce()
}
