// The libp2p pieces every Tesserae peer shares, whatever its transports: encryption, multiplexing,
// identify, ping and signed, scored gossipsub. Kept in one place so relay, browser and Node peers stay compatible.
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { gossipLimits, SCORE_THRESHOLDS, scoreParams } from './gossip-scoring.ts'

export const connectionEncrypters = () => [noise()]

/** Muxer limits for a peer that only signals and gossips (the relay): few streams, small windows. */
export const SIGNALLING_MUXER = {
  maxInboundStreams: 32,
  maxEarlyStreams: 4,
  // Yamux's minimum window (256 KiB) bounds what one stream can make us buffer before we read it.
  streamOptions: { maxStreamWindowSize: 256 * 1024, maxReadBufferLength: 1 << 20 },
}

export const streamMuxers = (limits: Parameters<typeof yamux>[0] = {}) => [yamux(limits)]

export function commonServices(options: { floodPublish: boolean }) {
  return {
    identify: identify(),
    ping: ping(),
    pubsub: gossipsub({
      // A lone tab must be able to announce itself before anyone else has subscribed.
      allowPublishToZeroTopicPeers: true,
      emitSelf: false,
      floodPublish: options.floodPublish,
      globalSignaturePolicy: 'StrictSign',
      scoreParams,
      scoreThresholds: SCORE_THRESHOLDS,
      ...gossipLimits,
    }),
  }
}
