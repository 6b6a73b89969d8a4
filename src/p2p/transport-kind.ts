// Which transport a connection really uses, read from its remote address. The product promise is that
// browsers talk to each other directly over WebRTC and use the relay only for signalling, so the UI and
// the tests need to tell "direct WebRTC" from "relayed" reliably.
export type TransportKind = 'webrtc' | 'webrtc-direct' | 'relayed' | 'websockets' | 'tcp' | 'other'

export function transportKind(remoteAddr: string): TransportKind {
  const parts = remoteAddr.split('/')
  if (parts.includes('webrtc')) return 'webrtc'
  if (parts.includes('webrtc-direct')) return 'webrtc-direct'
  if (parts.includes('p2p-circuit')) return 'relayed'
  if (parts.includes('ws') || parts.includes('wss') || parts.includes('tls')) return 'websockets'
  if (parts.includes('tcp')) return 'tcp'
  return 'other'
}
