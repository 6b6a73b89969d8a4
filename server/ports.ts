// Port helpers for child processes (anvil) that cannot listen on port 0 or report a bind failure quickly.
import { createServer } from 'node:net'

function listenOnce(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, host, () => {
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : port
      server.close(() => resolve(bound))
    })
  })
}

/** Asks the OS for a free TCP port on host. */
export function freePort(host: string): Promise<number> {
  return listenOnce(host, 0)
}

/** Fails with a message naming the port when something already listens there (e.g. another anvil on 8545). */
export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  try {
    await listenOnce(host, port)
  } catch (error) {
    throw new Error(`Cannot start ${what}: ${host}:${port} is already in use. Stop whatever uses it or choose another port.`, { cause: error })
  }
}
