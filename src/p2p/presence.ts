// Presence announcements: every tab periodically tells the swarm who it is, how to reach it directly
// (its /p2p-circuit/webrtc addresses) and which compute backend it runs. Decoded with hard limits,
// because anything on gossipsub may come from a hostile peer.
import { asObject, parseJsonLimited, readInteger, readString, readStringArray } from '../schema.ts'
import { DecodeError } from '../errors.ts'

export const BACKENDS = ['webgpu', 'wasm', 'unknown'] as const
export type Backend = (typeof BACKENDS)[number]

export interface Presence {
  peerId: string
  /** Addresses other peers can dial to reach this one directly (WebRTC via a relay for browsers). */
  addrs: string[]
  backend: Backend
  /** Sender's wall clock, ms since epoch: lets receivers drop stale announcements. */
  sentAtMs: number
  /** Pipeline stages this peer serves (issue 19): how a tab finds who runs each part of a model too big for it. */
  stages?: StageOffer[]
}

/** Stage `stage` of job `job`'s version `version`, whose whole parameter vector has content id `params`. */
export interface StageOffer {
  job: string
  params: string
  version: number
  stage: number
}

export const MAX_STAGE_OFFERS = 4

export const MAX_PRESENCE_BYTES = 4096
const WHAT = 'presence announcement'

export function encodePresence(presence: Presence): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(presence))
}

/** @param fromPeerId the gossipsub-verified sender; an announcement claiming another identity is rejected. */
export function decodePresence(bytes: Uint8Array, fromPeerId: string): Presence {
  if (bytes.byteLength > MAX_PRESENCE_BYTES) throw new DecodeError(WHAT, `${bytes.byteLength} bytes exceeds the ${MAX_PRESENCE_BYTES}-byte limit`)
  const obj = asObject(parseJsonLimited(new TextDecoder().decode(bytes), MAX_PRESENCE_BYTES, WHAT), WHAT)
  const peerId = readString(obj, 'peerId', WHAT, 128)
  if (peerId !== fromPeerId) throw new DecodeError(WHAT, `claims to be ${peerId} but was signed by ${fromPeerId}`)
  const backend = readString(obj, 'backend', WHAT, 16)
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new DecodeError(WHAT, `unknown backend "${backend}"`)
  const addrs = readStringArray(obj, 'addrs', WHAT, 8, 512)
  for (const addr of addrs) {
    if (!addr.startsWith('/')) throw new DecodeError(WHAT, `address "${addr}" is not a multiaddr`)
  }
  const presence: Presence = { peerId, addrs, backend: backend as Backend, sentAtMs: readInteger(obj, 'sentAtMs', WHAT) }
  if (obj.stages !== undefined) presence.stages = readStageOffers(obj.stages)
  return presence
}

function readStageOffers(value: unknown): StageOffer[] {
  if (!Array.isArray(value) || value.length > MAX_STAGE_OFFERS) throw new DecodeError(WHAT, `"stages" must be a list of at most ${MAX_STAGE_OFFERS} stages`)
  return value.map((item: unknown, i) => {
    const what = `${WHAT} stages[${i}]`
    const obj = asObject(item, what)
    const params = readString(obj, 'params', what, 128)
    if (!/^[A-Za-z0-9_-]+$/.test(params)) throw new DecodeError(what, '"params" is not a content id')
    return { job: readString(obj, 'job', what, 128), params, version: readInteger(obj, 'version', what, 0, 0x7fffffff), stage: readInteger(obj, 'stage', what, 0, 1023) }
  })
}
