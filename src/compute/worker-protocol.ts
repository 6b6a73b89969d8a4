// The one schema for messages between the page and the compute worker. Every message carries a request id
// so replies can be matched to calls; anything that does not decode is an error, never silently dropped.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readString } from '../schema.ts'
import type { DeviceReport } from './device-report.ts'

export type ToWorker = { type: 'probe'; id: number }

export type FromWorker =
  | { type: 'probe-result'; id: number; report: DeviceReport }
  | { type: 'error'; id: number; code: string; message: string }

const WHAT_IN = 'message to the compute worker'
const WHAT_OUT = 'message from the compute worker'

export function decodeToWorker(data: unknown): ToWorker {
  const obj = asObject(data, WHAT_IN)
  const type = readString(obj, 'type', WHAT_IN, 32)
  const id = readInteger(obj, 'id', WHAT_IN)
  if (type === 'probe') return { type, id }
  throw new DecodeError(WHAT_IN, `unknown message type "${type}"`)
}

export function decodeFromWorker(data: unknown): FromWorker {
  const obj = asObject(data, WHAT_OUT)
  const type = readString(obj, 'type', WHAT_OUT, 32)
  const id = readInteger(obj, 'id', WHAT_OUT)
  switch (type) {
    case 'probe-result': {
      const report = asObject(obj.report, `${WHAT_OUT} report`)
      asObject(report.webgpu, `${WHAT_OUT} report.webgpu`)
      asObject(report.wasm, `${WHAT_OUT} report.wasm`)
      return { type, id, report: report as unknown as DeviceReport }
    }
    case 'error':
      return { type, id, code: readString(obj, 'code', WHAT_OUT, 64), message: readString(obj, 'message', WHAT_OUT, 4096) }
    default:
      throw new DecodeError(WHAT_OUT, `unknown message type "${type}"`)
  }
}
