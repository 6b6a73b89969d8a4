// Starts and talks to bench/node-session.ts processes, one per wasm thread count.
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { createInterface, type Interface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { NodeSessionReply, NodeSessionRequest } from './node-session.ts'

interface Child {
  process: ChildProcessByStdio<Writable, Readable, null>
  lines: AsyncIterator<string>
  reader: Interface
}

export class NodeSessions {
  private readonly children = new Map<number, Child>()

  async send<R extends NodeSessionReply>(threads: number, request: NodeSessionRequest): Promise<R> {
    const child = this.child(threads)
    child.process.stdin.write(`${JSON.stringify(request)}\n`)
    const next = await child.lines.next()
    if (next.done === true) throw new Error(`the Node session process for ${threads} threads exited`)
    const reply = JSON.parse(next.value) as R | { error: string }
    if ('error' in reply) throw new Error(`Node session (${threads} threads, ${request.op} ${request.id}): ${reply.error}`)
    return reply
  }

  close(): void {
    for (const child of this.children.values()) {
      child.reader.close()
      child.process.kill()
    }
    this.children.clear()
  }

  private child(threads: number): Child {
    const running = this.children.get(threads)
    if (running !== undefined) return running
    const child = spawn(process.execPath, [fileURLToPath(new URL('node-session.ts', import.meta.url)), String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] })
    const reader = createInterface({ input: child.stdout })
    const started = { process: child, reader, lines: reader[Symbol.asyncIterator]() }
    this.children.set(threads, started)
    return started
  }
}
