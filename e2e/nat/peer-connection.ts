// A bare RTCPeerConnection between two pages, candidates trickled through the test as an app's signalling
// would: for checking what the network lets through under a given ICE configuration, apart from the app.
import type { Page } from '@playwright/test'

export interface LinkResult {
  /** Bytes that arrived over the data channel. */
  delivered: number
  iceState: string
}

export async function linkAndSend(a: Page, b: Page, config: RTCConfiguration, bytes: number, timeoutMs: number): Promise<LinkResult> {
  const setup = (json: string) => {
    const w = window as unknown as { pc: RTCPeerConnection; candidates: RTCIceCandidateInit[]; delivered: number; channel?: RTCDataChannel }
    w.pc = new RTCPeerConnection(JSON.parse(json) as RTCConfiguration)
    w.candidates = []
    w.delivered = 0
    w.pc.onicecandidate = (e) => void (e.candidate && w.candidates.push(e.candidate.toJSON()))
    w.pc.ondatachannel = (e) => (e.channel.onmessage = (m: MessageEvent<string>) => (w.delivered += m.data.length))
  }
  await a.evaluate(setup, JSON.stringify(config))
  await b.evaluate(setup, JSON.stringify(config))
  type W = { pc: RTCPeerConnection; candidates: RTCIceCandidateInit[]; delivered: number; channel?: RTCDataChannel }
  const offer = await a.evaluate(async () => {
    const w = window as unknown as W
    w.channel = w.pc.createDataChannel('probe')
    await w.pc.setLocalDescription(await w.pc.createOffer())
    return w.pc.localDescription!.toJSON()
  })
  const answer = await b.evaluate(async (o) => {
    const w = window as unknown as W
    await w.pc.setRemoteDescription(o)
    await w.pc.setLocalDescription(await w.pc.createAnswer())
    return w.pc.localDescription!.toJSON()
  }, offer)
  await a.evaluate(async (o) => (window as unknown as W).pc.setRemoteDescription(o), answer)
  const forwarded = [0, 0]
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && !(await a.evaluate(() => (window as unknown as W).channel!.readyState === 'open'))) {
    for (const [i, [from, to]] of ([[a, b], [b, a]] as const).entries()) {
      const candidates = await from.evaluate(() => (window as unknown as W).candidates)
      for (const candidate of candidates.slice(forwarded[i])) await to.evaluate((c) => (window as unknown as W).pc.addIceCandidate(c), candidate)
      forwarded[i] = candidates.length
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  await a.evaluate(async (total) => {
    const channel = (window as unknown as W).channel!
    for (let sent = 0; channel.readyState === 'open' && sent < total; sent += 16_000) {
      channel.send('x'.repeat(16_000))
      while (channel.bufferedAmount > 256_000) await new Promise((r) => setTimeout(r, 20))
    }
  }, bytes)
  await new Promise((r) => setTimeout(r, 2000))
  return { delivered: await b.evaluate(() => (window as unknown as W).delivered), iceState: await a.evaluate(() => (window as unknown as W).pc.iceConnectionState) }
}
