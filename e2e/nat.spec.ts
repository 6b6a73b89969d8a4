// NAT traversal in network namespaces (e2e/nat/topology.ts): two browsers, each in its own home behind its
// own NAT router, with the relay, app, chain and a STUN + TURN server (coturn) in a "public" namespace.
// Behind cone NATs they meet through the relay and train a swarm round over a WebRTC link hole-punched with
// STUN. Behind symmetric NATs hole punching cannot work, and the TURN server named in config.json carries
// the link. The public namespace's byte counters show which path the traffic took.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, expect, test, type Browser } from '@playwright/test'
import { CHROMIUM_ARGS } from './chromium.ts'
import { peerIdOf } from './pages.ts'
import { startJob } from './research.ts'
import { assertNatTools, buildNatTopology, type NatKind, type NatTopology } from './nat/topology.ts'
import { APP_URL, startPublicServices, type PublicServices } from './nat/public-services.ts'
import { linkAndSend } from './nat/peer-connection.ts'

const KiB = 1024

test.skip(process.platform !== 'linux' || process.getuid?.() !== 0, 'network namespaces need root on Linux')

let topology: NatTopology
let services: PublicServices
let work: string

test.beforeAll(async () => {
  assertNatTools()
  work = await mkdtemp(join(tmpdir(), 'tesserae-nat-'))
  // Named namespaces are machine-wide: the pid keeps ours apart from anyone else's run.
  topology = buildNatTopology(`tn${process.pid}`)
  services = await startPublicServices(topology.pub, work)
})

test.afterAll(async () => {
  await services?.stop()
  topology?.destroy()
  if (work) await rm(work, { recursive: true, force: true })
})

async function browserIn(home: string): Promise<Browser> {
  return chromium.launch({
    executablePath: await topology.chromiumIn(home, work),
    // The app is served over plain http from a non-local address; treat it as the https origin it would be.
    args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${new URL(APP_URL).origin}`],
  })
}


/** A coordinator tab in home 1 and a volunteer tab in home 2 complete a round; returns the UDP bytes by path. */
async function roundAcrossNats(kind: NatKind): Promise<{ direct: number; turn: number }> {
  topology.setNat(kind)
  topology.resetCounters()
  const [home1, home2] = await Promise.all([browserIn(topology.homes[0]), browserIn(topology.homes[1])])
  try {
    const research = await home1.newPage()
    await research.goto(new URL('/research', APP_URL).toString())
    await expect(research.getByTestId('relay-status')).toHaveAttribute('data-state', 'connected', { timeout: 60_000 })
    const { panel } = await startJob(research, { innerSteps: 4, batchSize: 16, unitsPerRound: 1, auditRate: 0, roundSeconds: 60 })
    const volunteer = await home2.newPage()
    await volunteer.goto(APP_URL)
    const volunteerId = await peerIdOf(volunteer)
    await volunteer.getByTestId('donate').click({ timeout: 60_000 })

    // The volunteer's unit is accepted and the round closes: work went home to home over WebRTC.
    const row = research.locator(`[data-testid="job-peer-row"][data-peer-id="${volunteerId}"]`)
    await expect(row).toHaveAttribute('data-accepted', /^[1-9]/, { timeout: 150_000 })
    await expect.poll(async () => Number(await panel.getAttribute('data-round')), { timeout: 60_000 }).toBeGreaterThanOrEqual(1)
    await expect(research.locator(`[data-testid="peer-row"][data-peer-id="${volunteerId}"]`)).toHaveAttribute('data-transports', /(^| )webrtc( |$)/)
    const bytes = topology.udpBytes()
    console.log(`${kind} NAT: round closed; UDP home to home ${(bytes.direct / KiB).toFixed(0)} KiB, to the TURN server ${(bytes.turn / KiB).toFixed(0)} KiB`)
    return bytes
  } finally {
    await Promise.all([home1.close(), home2.close()])
  }
}

test('behind two NATs, browsers meet through the relay and train a round over a hole-punched WebRTC link', async () => {
  test.setTimeout(240_000)
  const bytes = await roundAcrossNats('cone')
  // Parameters, data shards and the delta (hundreds of KiB) went directly between the routers.
  expect(bytes.direct).toBeGreaterThan(200 * KiB)
  expect(bytes.turn).toBeLessThan(bytes.direct / 10)
})

test('behind symmetric NATs hole punching fails, and the TURN server from config.json carries the link', async () => {
  test.setTimeout(120_000)
  topology.setNat('symmetric')
  const [home1, home2] = await Promise.all([browserIn(topology.homes[0]), browserIn(topology.homes[1])])
  try {
    const [a, b] = await Promise.all([home1.newPage(), home2.newPage()])
    const { iceServers } = services
    const stun = iceServers.filter((s) => s.urls.every((u) => u.startsWith('stun:')))
    topology.resetCounters()
    const punched = await linkAndSend(a, b, { iceServers: stun }, 64 * KiB, 15_000)
    expect(punched.delivered).toBe(0)
    topology.resetCounters()
    const relayed = await linkAndSend(await home1.newPage(), await home2.newPage(), { iceServers, iceTransportPolicy: 'relay' }, 512 * KiB, 15_000)
    const bytes = topology.udpBytes()
    console.log(`symmetric NAT: STUN only delivered ${punched.delivered} bytes; through TURN ${(relayed.delivered / KiB).toFixed(0)} KiB arrived, UDP to the TURN server ${(bytes.turn / KiB).toFixed(0)} KiB, home to home ${(bytes.direct / KiB).toFixed(0)} KiB`)
    expect(relayed.delivered).toBeGreaterThanOrEqual(512 * KiB)
    expect(bytes.turn).toBeGreaterThan(512 * KiB)
    expect(bytes.direct).toBe(0)
  } finally {
    await Promise.all([home1.close(), home2.close()])
  }
})
