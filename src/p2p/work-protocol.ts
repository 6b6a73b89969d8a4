// Streams for the work protocol: the coordinator serves it, volunteers call it. One request and one reply
// per stream, a deadline on both ends, and any malformed frame closes that stream with an error reply —
// never the peer. Only direct connections carry work (relayed ones are for signalling only).
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { errorMessage, TesseraeError } from '../errors.ts'
import { decodeWorkRequest, decodeWorkResponse, encodeWork, MAX_WORK_MESSAGE_BYTES, WORK_PROTOCOL, type WorkRequest, type WorkResponse } from './work-messages.ts'

export type WorkHandler = (request: WorkRequest, from: PeerId, connection: Connection) => Promise<WorkResponse>

export const WORK_DEADLINE_MS = 90_000

export async function serveWork(node: Libp2p, handler: WorkHandler, deadlineMs = WORK_DEADLINE_MS): Promise<void> {
  await node.handle(
    WORK_PROTOCOL,
    async (stream: Stream, connection: Connection) => {
      const signal = AbortSignal.timeout(deadlineMs)
      const lp = lpStream(stream, { maxDataLength: MAX_WORK_MESSAGE_BYTES })
      let response: WorkResponse
      try {
        const request = decodeWorkRequest((await lp.read({ signal })).subarray())
        response = await handler(request, connection.remotePeer, connection)
      } catch (error) {
        response = { type: 'error', message: errorMessage(error).slice(0, 900) }
      }
      try {
        await lp.write(encodeWork(response), { signal })
        await stream.close({ signal })
      } catch (error) {
        stream.abort(error instanceof Error ? error : new Error(String(error)))
      }
    },
    { maxInboundStreams: 64 },
  )
}

export async function callWork(node: Libp2p, peer: PeerId, request: WorkRequest, deadlineMs = WORK_DEADLINE_MS): Promise<WorkResponse> {
  const signal = AbortSignal.timeout(deadlineMs)
  let stream: Stream | undefined
  try {
    stream = await node.dialProtocol(peer, WORK_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_WORK_MESSAGE_BYTES })
    await lp.write(encodeWork(request), { signal })
    const response = decodeWorkResponse((await lp.read({ signal })).subarray())
    await stream.close({ signal }).catch(() => undefined)
    if (response.type === 'error') throw new TesseraeError('WORK_REFUSED', `the coordinator refused the ${request.type}: ${response.message}`)
    return response
  } catch (error) {
    stream?.abort(error instanceof Error ? error : new Error(String(error)))
    if (signal.aborted) throw new TesseraeError('WORK_TIMEOUT', `the coordinator did not answer a ${request.type} within ${deadlineMs / 1000} s`, { cause: error })
    throw error
  }
}
