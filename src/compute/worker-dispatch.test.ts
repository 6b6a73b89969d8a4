import { describe, expect, it } from 'vitest'
import { requestLoop } from './worker-dispatch.ts'
import type { FromWorker, ToWorker } from './worker-protocol.ts'
import type { WorkerRuntime } from './worker-runtime.ts'
import { TesseraeError } from '../errors.ts'

/** A runtime whose requests finish when the test says, recording the order they started in. */
function fakeRuntime() {
  const started: string[] = []
  const finish = new Map<number, () => void>()
  const runtime = {
    handle: (message: ToWorker) => {
      started.push(`${message.type}#${message.id}`)
      if (message.type === 'throttle') return Promise.resolve()
      if (message.type === 'read-params' && message.id === 99) return Promise.reject(new TesseraeError('NOT_LOADED', 'nothing loaded'))
      return new Promise<void>((resolve) => finish.set(message.id, resolve))
    },
  } as unknown as WorkerRuntime
  return { runtime, started, finish }
}
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('a compute worker\'s request loop', () => {
  it('runs requests one at a time in arrival order, but lets a throttle change reach the running one', async () => {
    const { runtime, started, finish } = fakeRuntime()
    const handle = requestLoop(runtime, () => {}, async () => {})
    handle({ type: 'read-params', id: 1 })
    handle({ type: 'read-params', id: 2 })
    handle({ type: 'throttle', id: 3, dutyCycle: 0.5, paused: false })
    await tick()
    // The throttle went straight through (at once, not after request 1); request 2 waits for request 1.
    expect(started).toEqual(['throttle#3', 'read-params#1'])
    finish.get(1)!()
    await tick()
    expect(started).toEqual(['throttle#3', 'read-params#1', 'read-params#2'])
  })

  it('answers what it cannot decode, and a failed request, with a typed error to that id, and keeps serving', async () => {
    const { runtime, started, finish } = fakeRuntime()
    const replies: FromWorker[] = []
    const handle = requestLoop(runtime, (m) => replies.push(m), async () => {})
    handle({ type: 'train', id: 7, batches: 'not batches' })
    handle({ type: 'read-params', id: 99 })
    handle('garbage')
    handle({ type: 'read-params', id: 8 })
    await tick()
    expect(replies).toEqual([
      expect.objectContaining({ type: 'error', id: 7, code: 'DECODE' }),
      expect.objectContaining({ type: 'error', id: 0, code: 'DECODE' }),
      { type: 'error', id: 99, code: 'NOT_LOADED', message: 'nothing loaded' },
    ])
    expect(started).toEqual(['read-params#99', 'read-params#8'])
    finish.get(8)!()
  })

  it('hands a probe to the probe handler, in turn, and an untyped failure comes back as WORKER_FAILED', async () => {
    const { runtime } = fakeRuntime()
    const replies: FromWorker[] = []
    const handle = requestLoop(runtime, (m) => replies.push(m), async (id) => {
      throw new Error(`no device for ${id}`)
    })
    handle({ type: 'probe', id: 5 })
    await tick()
    expect(replies).toEqual([{ type: 'error', id: 5, code: 'WORKER_FAILED', message: 'no device for 5' }])
  })
})
