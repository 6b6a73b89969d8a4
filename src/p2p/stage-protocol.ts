// Streams for the stage protocol: a stage's peer serves it, a pipeline driver calls it. One request (a header
// and its tensors) and one reply per stream, a deadline on both ends; a malformed frame ends that stream with a
// refusal, never the connection. Tensors stay bytes here: the handler decodes them against the shapes its
// stage expects (training/boundary-codec.ts).
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { errorMessage, TesseraeError } from '../errors.ts'
import { decodeStageRequest, decodeStageResponse, encodeStageHeader, MAX_STAGE_TENSOR_BYTES, requestTensors, STAGE_PROTOCOL, type StageRequest, type StageResponse } from './stage-messages.ts'

/**
 * `read(maxBytes)`: the request's tensors, each at most `maxBytes` (what the handler's stage expects), read
 * only when the handler calls it, after its own checks, so a request it refuses costs no tensor bytes.
 */
export type StageHandler = (request: StageRequest, read: (maxBytes: number) => Promise<Uint8Array[]>, from: PeerId) => Promise<{ response: StageResponse; tensors: Uint8Array[] }>

export const STAGE_DEADLINE_MS = 60_000

export async function serveStage(node: Libp2p, handler: StageHandler, deadlineMs = STAGE_DEADLINE_MS): Promise<void> {
  await node.handle(
    STAGE_PROTOCOL,
    async (stream: Stream, connection: Connection) => {
      const signal = AbortSignal.timeout(deadlineMs)
      const lp = lpStream(stream, { maxDataLength: MAX_STAGE_TENSOR_BYTES })
      let reply: { response: StageResponse; tensors: Uint8Array[] }
      try {
        const request = decodeStageRequest((await lp.read({ signal })).subarray())
        const read = async (maxBytes: number) => {
          const tensors: Uint8Array[] = []
          for (let i = 0; i < requestTensors(request); i++) {
            const frame = (await lp.read({ signal })).subarray()
            if (frame.length > maxBytes) throw new TesseraeError('BAD_REQUEST', `tensor ${i} is ${frame.length} bytes, over the ${maxBytes} this stage takes`)
            tensors.push(frame)
          }
          return tensors
        }
        reply = await handler(request, read, connection.remotePeer)
      } catch (error) {
        reply = { response: { type: 'refused', code: 'BAD_REQUEST', detail: errorMessage(error).slice(0, 900) }, tensors: [] }
      }
      try {
        await lp.write(encodeStageHeader(reply.response), { signal })
        for (const tensor of reply.tensors) await lp.write(tensor, { signal })
        await stream.close({ signal })
      } catch (error) {
        stream.abort(error instanceof Error ? error : new Error(String(error)))
      }
    },
    // Micro-batches of several pipelines can be in flight through one stage peer at once.
    { maxInboundStreams: 32, runOnLimitedConnection: false },
  )
}

export interface StageReply {
  flops: number
  tensor: Uint8Array | null
  /** A bind request's answer. */
  bound?: { wallet: string; expiry: number }
}

/** Runs one request on `peer`; a refusal, a timeout or a broken stream is a typed error the driver reroutes on. */
export async function callStage(node: Libp2p, peer: PeerId, request: StageRequest, tensors: Uint8Array[], deadlineMs = STAGE_DEADLINE_MS): Promise<StageReply> {
  if (tensors.length !== requestTensors(request)) throw new TesseraeError('BAD_REQUEST', `a ${request.type} request carries ${requestTensors(request)} tensors, not ${tensors.length}`)
  const signal = AbortSignal.timeout(deadlineMs)
  let stream: Stream | undefined
  try {
    stream = await node.dialProtocol(peer, STAGE_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_STAGE_TENSOR_BYTES })
    await lp.write(encodeStageHeader(request), { signal })
    for (const tensor of tensors) await lp.write(tensor, { signal })
    const response = decodeStageResponse((await lp.read({ signal })).subarray())
    if (response.type === 'refused') throw new TesseraeError('STAGE_REFUSED', `${whom(request)} refused ${what(request)}: ${response.code} ${response.detail}`, { cause: response.code })
    if (response.type === 'bound') {
      if (request.type !== 'bind') throw new TesseraeError('BAD_REQUEST', `${whom(request)} answered ${what(request)} as if it were a binding`)
      await stream.close({ signal }).catch(() => undefined)
      return { flops: 0, tensor: null, bound: { wallet: response.wallet, expiry: response.expiry } }
    }
    const tensor = response.tensors === 1 ? (await lp.read({ signal })).subarray() : null
    await stream.close({ signal }).catch(() => undefined)
    return { flops: response.flops, tensor }
  } catch (error) {
    stream?.abort(error instanceof Error ? error : new Error(String(error)))
    if (signal.aborted) throw new TesseraeError('STAGE_TIMEOUT', `${whom(request)} did not answer ${what(request)} within ${deadlineMs / 1000} s`, { cause: error })
    throw error
  }
}

const whom = (request: StageRequest) => (request.type === 'join' || request.type === 'bind' ? 'the coordinator' : `stage ${request.stage} peer`)
const what = (request: StageRequest) => (request.type === 'forward' || request.type === 'backward' ? `the ${request.type} of ${request.microBatch}` : `the ${request.type}`)
