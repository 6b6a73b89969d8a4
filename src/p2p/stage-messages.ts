// The stage protocol's messages (/tesserae/stage/1.0.0): a pipeline driver asks a peer holding one stage of a
// job's model to run a micro-batch forward (activation in → activation out) or backward (activation in and the
// gradient of its output → the gradient of its input; the stage's parameter gradients stay with the peer). A
// message is a length-prefixed JSON header, then, as the header says, one or two boundary tensors
// (training/boundary-codec.ts), each length-prefixed and decoded by the receiver against the shape it expects.
import { DecodeError } from '../errors.ts'
import { asObject, parseJsonLimited, readInteger, readNumber, readString } from '../schema.ts'
import type { BoundaryFormat } from '../training/boundary-codec.ts'
import { decodeSignedBinding, type SignedBinding } from '../ledger/binding.ts'

export const STAGE_PROTOCOL = '/tesserae/stage/1.0.0'
export const MAX_STAGE_HEADER_BYTES = 4 * 1024
/** One boundary tensor: 32 MiB is a micro-batch of 64 × 256 tokens × 512 features in fp32. */
export const MAX_STAGE_TENSOR_BYTES = 32 * 2 ** 20

/**
 * forward / backward: one micro-batch of driver step `step` (ids are unique per driver: they carry its nonce);
 * `format` is how the reply's tensor is to be encoded (the request's own say so in their headers). update: the
 * end of step `step`; the peer applies its optimiser, at learning rate `lr`, to the mean of the gradients it
 * added in that step, and drops any left from steps that never ended.
 */
export type StageRequest = StageCall | StageControl

/** What a pipeline driver asks of a stage's peer while training or answering (StageHost). */
export type StageCall =
  | { type: 'forward' | 'backward'; jobId: string; stage: number; version: number; step: string; microBatch: string; format: BoundaryFormat }
  | { type: 'update'; jobId: string; stage: number; version: number; step: string; lr: number }

/**
 * A staged job's rounds (issue 19), between its coordinator and its stage volunteers. join (volunteer →
 * coordinator): "give me a stage of this job", sent again every few seconds while the volunteer stays. serve
 * (coordinator → volunteer): train stage `stage` of version `version`, whose parameters have content id
 * `params` (fetched from the coordinator), taking calls from the coordinator only; with `model` (the content id
 * of the version's whole parameter vector, as the job's head and use links name it) it also serves that
 * version's stage for inference to anyone (the use page), and with `inference` it serves it for inference only
 * (the job's final version, once training is over). delta (coordinator →
 * volunteer): the round is over; the reply's tensor is the replica's change since the version, int8 (quantize.ts).
 * commit (coordinator → volunteer): the reply's tensor is, as JSON, the replica's ledger: every update it applied
 * this round with the micro-batches summed for it (stage-audit.ts), which the coordinator replays to audit it.
 * bind (volunteer → coordinator): a wallet's EIP-712 binding to the sending peer, for the job's rewards; the
 * answer is `bound`.
 */
export type StageControl =
  | { type: 'join'; jobId: string }
  | { type: 'bind'; jobId: string; binding: SignedBinding }
  | { type: 'serve'; jobId: string; stage: number; version: number; params: string; model?: string; inference?: true }
  | { type: 'delta' | 'commit'; jobId: string; stage: number; version: number }

export type StageResponse =
  /** forward: the activation out follows; backward: the input gradient follows (none for the first stage). */
  | { type: 'done'; flops: number; tensors: number }
  /** Not served here (wrong job, stage or version, or too busy): the driver routes to another peer. */
  | { type: 'refused'; code: 'NOT_SERVED' | 'BUSY' | 'BAD_REQUEST'; detail: string }
  /** bind: the binding was checked and recorded; credit goes to `wallet` until `expiry` (Unix seconds). */
  | { type: 'bound'; wallet: string; expiry: number }

export function encodeStageHeader(message: StageRequest | StageResponse): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(message))
  if (bytes.length > MAX_STAGE_HEADER_BYTES) throw new DecodeError('stage message', `is ${bytes.length} bytes, over ${MAX_STAGE_HEADER_BYTES}`)
  return bytes
}

function parse(bytes: Uint8Array, what: string) {
  const obj = asObject(parseJsonLimited(new TextDecoder('utf-8', { fatal: false }).decode(bytes), MAX_STAGE_HEADER_BYTES, what), what)
  return { obj, type: readString(obj, 'type', what, 16) }
}

export function decodeStageRequest(bytes: Uint8Array): StageRequest {
  const what = 'stage request'
  const { obj, type } = parse(bytes, what)
  const jobId = readString(obj, 'jobId', what, 128)
  if (type === 'join') return { type, jobId }
  if (type === 'bind') return { type, jobId, binding: decodeSignedBinding(obj.binding) }
  if (type === 'serve' || type === 'delta' || type === 'commit') {
    const at = { jobId, stage: readInteger(obj, 'stage', what, 0, 1023), version: readInteger(obj, 'version', what, 0, 2 ** 31) }
    if (type === 'delta' || type === 'commit') return { type, ...at }
    const cid = (key: string) => {
      const value = readString(obj, key, what, 128)
      if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new DecodeError(what, `"${key}" is not a content id`)
      return value
    }
    if (obj.inference !== undefined && obj.inference !== true) throw new DecodeError(what, '"inference" must be true or absent')
    if (obj.inference === true && obj.model === undefined) throw new DecodeError(what, 'a serve for inference names the version\'s "model"')
    return { type, ...at, params: cid('params'), ...(obj.model === undefined ? {} : { model: cid('model') }), ...(obj.inference === true ? { inference: true as const } : {}) }
  }
  const common = { jobId, stage: readInteger(obj, 'stage', what, 0, 1023), version: readInteger(obj, 'version', what, 0, 2 ** 31), step: readString(obj, 'step', what, 64) }
  if (type === 'update') return { type, ...common, lr: readNumber(obj, 'lr', what, 0, 1) }
  if (type !== 'forward' && type !== 'backward') throw new DecodeError(what, `has unknown type "${type}"`)
  return { type, ...common, microBatch: readString(obj, 'microBatch', what, 64), format: readFormat(obj, what) }
}

function readFormat(obj: Record<string, unknown>, what: string): BoundaryFormat {
  const format = readString(obj, 'format', what, 8)
  if (format !== 'fp32' && format !== 'fp16' && format !== 'int8') throw new DecodeError(what, `has unknown tensor format "${format}"`)
  return format
}

export function decodeStageResponse(bytes: Uint8Array): StageResponse {
  const what = 'stage response'
  const { obj, type } = parse(bytes, what)
  if (type === 'done') return { type, flops: readInteger(obj, 'flops', what, 0, Number.MAX_SAFE_INTEGER), tensors: readInteger(obj, 'tensors', what, 0, 1) }
  if (type === 'bound') {
    const wallet = readString(obj, 'wallet', what, 42)
    if (!/^0x[0-9a-fA-F]{40}$/.test(wallet)) throw new DecodeError(what, `"${wallet}" is not an address`)
    return { type, wallet, expiry: readInteger(obj, 'expiry', what, 0, 2 ** 40) }
  }
  if (type === 'refused') {
    const code = readString(obj, 'code', what, 16)
    if (code !== 'NOT_SERVED' && code !== 'BUSY' && code !== 'BAD_REQUEST') throw new DecodeError(what, `has unknown refusal "${code}"`)
    return { type, code, detail: readString(obj, 'detail', what, 900) }
  }
  throw new DecodeError(what, `has unknown type "${type}"`)
}

/** Tensors a request carries: forward the activation; backward the activation and its output's gradient. */
export const requestTensors = (request: StageRequest): number => (request.type === 'forward' ? 1 : request.type === 'backward' ? 2 : 0)

export const isStageCall = (request: StageRequest): request is StageCall => request.type === 'forward' || request.type === 'backward' || request.type === 'update'
