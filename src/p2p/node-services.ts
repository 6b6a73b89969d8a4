// The libp2p pieces every Tesserae peer shares, whatever its transports: encryption, multiplexing,
// identify, ping and signed gossipsub. Kept in one place so relay, browser and Node peers stay compatible.
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'

export const connectionEncrypters = () => [noise()]
export const streamMuxers = () => [yamux()]

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
      // Gossipsub's default penalises more than 10 peers sharing an IP address, and remembers scores after a
      // peer leaves. Browser volunteers share addresses as a rule (a classroom or office behind one NAT, every
      // tab of a laptop), so that penalty would graylist honest tabs; messages are signed and validated
      // per peer instead.
      scoreParams: { IPColocationFactorWeight: 0 },
    }),
  }
}
