// Hostile input on the work protocol: garbage, oversized frames and wrong schemas get an error reply or a
// closed stream, and the serving peer keeps answering honest requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createNodePeer, type NodePeer } from './node-peer.ts'
import { callWork, serveWork } from './work-protocol.ts'
import { decodeWorkResponse, WORK_PROTOCOL, MAX_WORK_MESSAGE_BYTES } from './work-messages.ts'
import { verdict } from '../training/verdicts.ts'

describe('work protocol', () => {
  let server: NodePeer
  let client: NodePeer
  beforeAll(async () => {
    server = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    client = await createNodePeer()
    await serveWork(server, async (request) => (request.type === 'request' ? { type: 'wait', retryMs: 1000, verdict: verdict('NO_OPEN_UNITS', { round: request.jobId.length }) } : { type: 'ack', accepted: false, verdict: verdict('NOT_ASSIGNED') }))
    await client.dial(multiaddr(server.getMultiaddrs()[0]!.toString()))
  })
  afterAll(async () => {
    await client.stop()
    await server.stop()
  })

  async function raw(frame: Uint8Array) {
    const stream = await client.dialProtocol(server.peerId, WORK_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: 2 * MAX_WORK_MESSAGE_BYTES })
    await lp.write(frame)
    return decodeWorkResponse((await lp.read({ signal: AbortSignal.timeout(5000) })).subarray())
  }

  it('answers a well-formed request', async () => {
    expect(await callWork(client, server.peerId, { type: 'request', jobId: 'j', backend: 'wasm' })).toEqual({ type: 'wait', retryMs: 1000, verdict: { code: 'NO_OPEN_UNITS', params: { round: 1 } } })
  })

  it('replies with an error to garbage and to schema violations', async () => {
    expect(await raw(new Uint8Array([0xff, 0x00, 0x7b]))).toMatchObject({ type: 'error', message: expect.stringMatching(/not valid JSON/) })
    expect(await raw(new TextEncoder().encode('{"type":"submit","result":{},"signature":"zz"}'))).toMatchObject({ type: 'error', message: expect.stringMatching(/signature/) })
    expect(await raw(new TextEncoder().encode('{"type":"steal"}'))).toMatchObject({ type: 'error', message: expect.stringMatching(/unknown type/) })
  })

  it('refuses an oversized frame with an error and keeps serving', async () => {
    expect((await raw(new Uint8Array(MAX_WORK_MESSAGE_BYTES + 100).fill(32))).type).toBe('error')
    expect((await callWork(client, server.peerId, { type: 'request', jobId: 'k', backend: 'wasm' })).type).toBe('wait')
  })
})
