// A compute thread's entry: Node's compile cache goes on before the compute code loads, so after the first
// thread (in this process or an earlier one) that code's TypeScript is neither stripped nor compiled again:
// a process of many peers (a test's swarm) starts each thread in about a tenth of the CPU.
import { enableCompileCache, flushCompileCache } from 'node:module'

enableCompileCache()
await import('./compute-thread.ts')
// Written now rather than when the thread ends: the next thread is usually started before this one ends.
flushCompileCache()
