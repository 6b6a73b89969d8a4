// The stage protocol between two Node peers: a reply with its tensor, typed errors for a refusal and a
// deadline, and a hostile or malformed request answered with a refusal on its own stream, the connection kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { lpStream } from '@libp2p/utils'
import { createNodePeer, type NodePeer } from './node-peer.ts'
import { callStage, serveStage, type StageHandler } from './stage-protocol.ts'
import { decodeStageRequest, decodeStageResponse, encodeStageHeader, requestTensors, STAGE_PROTOCOL, type StageRequest } from './stage-messages.ts'

const request = { type: 'forward', jobId: 'j', stage: 1, version: 3, step: 'ab.0', microBatch: 'ab.0.1', format: 'fp16' } satisfies StageRequest

describe('stage protocol', () => {
  let server: NodePeer
  let client: NodePeer
  let handler: StageHandler
  beforeAll(async () => {
    server = await createNodePeer({ listenWs: { host: '127.0.0.1', port: 0 } })
    client = await createNodePeer()
    await serveStage(server, (r, t, from) => handler(r, t, from), 1500)
    await client.dial(multiaddr(server.getMultiaddrs()[0]!.toString()))
  })
  afterAll(async () => {
    await client.stop()
    await server.stop()
  })

  it('carries a request\'s tensors to the handler and its reply\'s tensor back', async () => {
    handler = async (r, read, from) => {
      expect(r).toEqual(request)
      expect(from.equals(client.peerId)).toBe(true)
      const tensors = await read(16)
      return { response: { type: 'done', flops: 1234, tensors: 1 }, tensors: [Uint8Array.from([...tensors[0]!].reverse())] }
    }
    expect(await callStage(client, server.peerId, request, [Uint8Array.from([1, 2, 3])])).toEqual({ flops: 1234, tensor: Uint8Array.from([3, 2, 1]) })
  })

  it('turns a refusal and a missed deadline into typed errors the driver reroutes on', async () => {
    handler = async () => ({ response: { type: 'refused', code: 'BUSY', detail: '4 running' }, tensors: [] })
    await expect(callStage(client, server.peerId, request, [new Uint8Array(4)])).rejects.toMatchObject({ code: 'STAGE_REFUSED', cause: 'BUSY', message: expect.stringMatching(/refused the forward of ab\.0\.1: BUSY 4 running/) })
    handler = () => new Promise(() => {})
    await expect(callStage(client, server.peerId, request, [new Uint8Array(4)], 500)).rejects.toMatchObject({ code: 'STAGE_TIMEOUT' })
    await expect(callStage(client, server.peerId, { ...request, type: 'backward' as const }, [new Uint8Array(4)])).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    // A tensor larger than the handler's stage takes is refused before the handler sees it.
    handler = async (_, read) => {
      await read(8)
      return { response: { type: 'done', flops: 0, tensors: 0 }, tensors: [] }
    }
    await expect(callStage(client, server.peerId, request, [new Uint8Array(9)])).rejects.toMatchObject({ code: 'STAGE_REFUSED', cause: 'BAD_REQUEST', message: expect.stringMatching(/tensor 0 is 9 bytes, over the 8 this stage takes/) })
  })

  it('answers a malformed request with a refusal and keeps the connection', async () => {
    handler = async () => ({ response: { type: 'done', flops: 0, tensors: 0 }, tensors: [] })
    for (const header of ['{"type":"forward"}', 'not json', JSON.stringify({ ...request, format: 'fp8' }), JSON.stringify({ ...request, stage: -1 })]) {
      const stream = await client.dialProtocol(server.peerId, STAGE_PROTOCOL)
      const lp = lpStream(stream)
      await lp.write(new TextEncoder().encode(header))
      const reply = decodeStageResponse((await lp.read()).subarray())
      expect(reply, header).toMatchObject({ type: 'refused', code: 'BAD_REQUEST' })
    }
    expect(client.getConnections(server.peerId).length).toBeGreaterThan(0)
  })

  it('decodes messages strictly', () => {
    expect(decodeStageRequest(encodeStageHeader(request))).toEqual(request)
    expect(() => decodeStageRequest(new TextEncoder().encode(JSON.stringify({ ...request, type: 'train' })))).toThrow(/unknown type "train"/)
    expect(() => decodeStageRequest(new TextEncoder().encode(JSON.stringify({ ...request, microBatch: 'x'.repeat(65) })))).toThrow(/microBatch/)
    expect(() => decodeStageRequest(new TextEncoder().encode(JSON.stringify({ ...request, step: undefined })))).toThrow(/step/)
    const update = { type: 'update' as const, jobId: 'j', stage: 0, version: 1, step: 'ab.3', lr: 0.001 }
    expect(decodeStageRequest(encodeStageHeader(update))).toEqual(update)
    expect(() => decodeStageRequest(new TextEncoder().encode(JSON.stringify({ ...update, lr: 2 })))).toThrow(/lr/)
    expect(() => decodeStageResponse(new TextEncoder().encode(JSON.stringify({ type: 'done', flops: 1, tensors: 2 })))).toThrow(/tensors/)
    expect(() => decodeStageResponse(new TextEncoder().encode(JSON.stringify({ type: 'refused', code: 'NOPE', detail: '' })))).toThrow(/unknown refusal "NOPE"/)
    expect(() => encodeStageHeader({ ...request, jobId: 'x'.repeat(5000) })).toThrow(/over 4096/)
  })

  it('decodes a staged job\'s round requests strictly: join, serve (with a content id) and delta', () => {
    const encode = (value: object) => new TextEncoder().encode(JSON.stringify(value))
    for (const message of [{ type: 'join', jobId: 'j' }, { type: 'serve', jobId: 'j', stage: 2, version: 7, params: 'bafy_Stage-2' }, { type: 'delta', jobId: 'j', stage: 1023, version: 0 }, { type: 'commit', jobId: 'j', stage: 1, version: 2 }] as const) {
      expect(decodeStageRequest(encodeStageHeader(message))).toEqual(message)
      expect(requestTensors(message)).toBe(0)
    }
    expect(() => decodeStageRequest(encode({ type: 'serve', jobId: 'j', stage: 0, version: 1, params: '../x' }))).toThrow('"params" is not a content id')
    expect(() => decodeStageRequest(encode({ type: 'serve', jobId: 'j', stage: 0, version: 1 }))).toThrow(/params/)
    // A serve may name the version's model (it is then served for inference too), or ask for inference only.
    const both = { type: 'serve', jobId: 'j', stage: 0, version: 1, params: 'bafyStage', model: 'bafyWhole' } as const
    expect(decodeStageRequest(encodeStageHeader(both))).toEqual(both)
    expect(decodeStageRequest(encodeStageHeader({ ...both, inference: true }))).toEqual({ ...both, inference: true })
    expect(() => decodeStageRequest(encode({ ...both, model: 'a/b' }))).toThrow('"model" is not a content id')
    expect(() => decodeStageRequest(encode({ ...both, inference: 'yes' }))).toThrow('"inference" must be true or absent')
    expect(() => decodeStageRequest(encode({ type: 'serve', jobId: 'j', stage: 0, version: 1, params: 'bafyStage', inference: true }))).toThrow(/names the version's "model"/)
    expect(() => decodeStageRequest(encode({ type: 'delta', jobId: 'j', stage: 1024, version: 1 }))).toThrow(/stage/)
    expect(() => decodeStageRequest(encode({ type: 'delta', jobId: 'j', stage: 0, version: -1 }))).toThrow(/version/)
    expect(() => decodeStageRequest(encode({ type: 'join' }))).toThrow(/jobId/)
    // A replica reveals nothing apart: its round is replayed from its commitment alone.
    expect(() => decodeStageRequest(encode({ type: 'audit', jobId: 'j', stage: 1, version: 2, step: 'moments' }))).toThrow('has unknown type "audit"')
  })

  it('decodes a wallet binding and its answer strictly', () => {
    const encode = (value: object) => new TextEncoder().encode(JSON.stringify(value))
    const binding = { job: 'j', peer: '12D3KooWpeer', wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', expiry: 1_900_000_000, signature: '0xabcdef' }
    expect(decodeStageRequest(encode({ type: 'bind', jobId: 'j', binding }))).toEqual({ type: 'bind', jobId: 'j', binding })
    expect(requestTensors({ type: 'bind', jobId: 'j', binding } as never)).toBe(0)
    expect(() => decodeStageRequest(encode({ type: 'bind', jobId: 'j', binding: { ...binding, wallet: '0x1234' } }))).toThrow(/not an address/)
    expect(() => decodeStageRequest(encode({ type: 'bind', jobId: 'j', binding: { ...binding, signature: 'abc' } }))).toThrow(/signature/)
    expect(() => decodeStageRequest(encode({ type: 'bind', jobId: 'j' }))).toThrow(/wallet binding/)
    expect(decodeStageResponse(encode({ type: 'bound', wallet: binding.wallet, expiry: 5 }))).toEqual({ type: 'bound', wallet: binding.wallet, expiry: 5 })
    expect(() => decodeStageResponse(encode({ type: 'bound', wallet: 'me', expiry: 5 }))).toThrow(/not an address/)
    expect(() => decodeStageResponse(encode({ type: 'bound', wallet: binding.wallet, expiry: -1 }))).toThrow(/expiry/)
  })
})
