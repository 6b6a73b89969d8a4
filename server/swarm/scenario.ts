// One swarm run for attack tests and benchmarks: a real relay, a headless coordinator (referee included) and
// headless volunteers over loopback libp2p, real ORT training of the MLP on Fashion-MNIST, some volunteers
// hostile (an attack from adversaries.ts) or leaving partway. Returns what a security reviewer would count:
// the hostile units and what became of them, honest units refused, credit, accuracy and round times.
import { createRelayNode, relayAddrs } from '../../src/p2p/relay-node.ts'
import type { JobSpec } from '../../src/training/job.ts'
import type { Attack } from '../../src/training/testing/adversaries.ts'
import type { RoundReport } from '../../src/training/coordinator-state.ts'
import type { LabelledImages } from '../../src/data/labelled-images.ts'
import { startHeadlessCoordinator, startHeadlessVolunteer } from './headless.ts'
import { subset } from './subset.ts'

export interface ScenarioVolunteer {
  attack?: Attack
  /** Stops (closes its connections) this long after the run starts. */
  leaveAfterMs?: number
}

export interface ScenarioOptions {
  train: LabelledImages
  test: LabelledImages
  volunteers: ScenarioVolunteer[]
  overrides: Partial<JobSpec>
  /** Give up after this long (the test then fails on `finished`). */
  timeoutMs: number
  log?: (line: string) => void
}

export interface PeerOutcome {
  id: string
  hostile: boolean
  left: boolean
  /** Units it cheated on (hostile peers). */
  cheats: string[]
  accepted: number
  rejected: number
  /** Its units the coordinator rejected. */
  rejectedUnits: string[]
  banned: boolean
  bannedFor: string | null
  /** Verified plus pending credit (FLOPs) it still holds, and what it forfeited. */
  credit: number
  forfeited: number
}

export interface ScenarioResult {
  finished: boolean
  initialAccuracy: number
  accuracy: number
  history: RoundReport[]
  peers: PeerOutcome[]
  /** Units credited in the ledger, and units accepted across all rounds. */
  unitsCredited: number
  /** New volunteers' probes accepted (credited, not aggregated). */
  probesAccepted: number
  unitsAccepted: number
  roundMs: number
  wallSeconds: number
  refereeMs: number
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const relay = await createRelayNode({ host: '127.0.0.1', port: 0 })
  const coordinator = await startHeadlessCoordinator({
    relayAddrs: relayAddrs(relay), dataDir: null, host: '127.0.0.1', train: options.train, test: subset(options.test, 0, 1000), shardSize: 256, overrides: options.overrides, log: (line) => options.log?.(`coordinator: ${line}`),
  })
  const volunteers: Array<Awaited<ReturnType<typeof startHeadlessVolunteer>>> = []
  for (const [i, v] of options.volunteers.entries()) {
    volunteers.push(await startHeadlessVolunteer({ relayAddrs: relayAddrs(relay), dataDir: null, attack: v.attack, log: (line) => options.log?.(`volunteer ${i}: ${line}`) }))
  }
  const started = performance.now()
  const left = new Set<number>()
  const timers = options.volunteers.flatMap((v, i) => (v.leaveAfterMs === undefined ? [] : [setTimeout(() => void volunteers[i]!.stop().then(() => left.add(i)), v.leaveAfterMs)]))
  const deadline = Date.now() + options.timeoutMs
  while (!coordinator.coordinator.view.finished && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
  const wallSeconds = (performance.now() - started) / 1000
  for (const t of timers) clearTimeout(t)
  await coordinator.coordinator.settled()
  const c = coordinator.coordinator
  const view = c.view
  const rejectedBy = new Map<string, string[]>()
  for (const r of view.history) for (const x of r.rejections) rejectedBy.set(x.peer, [...(rejectedBy.get(x.peer) ?? []), x.unitId])
  const peers = volunteers.map((v, i): PeerOutcome => {
    const id = v.node.peerId.toString()
    const record = view.peers[id]
    return {
      id, hostile: options.volunteers[i]!.attack !== undefined, left: options.volunteers[i]!.leaveAfterMs !== undefined, cheats: options.volunteers[i]!.attack?.cheats ?? [],
      accepted: record?.accepted ?? 0, rejected: record?.rejected ?? 0, rejectedUnits: rejectedBy.get(id) ?? [], banned: record?.banned ?? false, bannedFor: record?.ban?.code ?? null,
      credit: c.credits.volunteer(id).flops + c.credits.pending(id).flops, forfeited: c.credits.forfeited(id).flops,
    }
  })
  const unitsCredited = peers.reduce((n, p) => n + c.credits.volunteer(p.id).units + c.credits.pending(p.id).units + c.credits.forfeited(p.id).units, 0)
  const result: ScenarioResult = {
    finished: view.finished, initialAccuracy: view.initialAccuracy ?? NaN, accuracy: view.history.at(-1)?.testAccuracy ?? NaN, history: [...view.history], peers,
    unitsCredited, unitsAccepted: view.history.reduce((n, r) => n + r.accepted, 0), probesAccepted: view.history.reduce((n, r) => n + (r.probes ?? 0), 0), roundMs: c.job.roundMs, wallSeconds, refereeMs: view.history.reduce((n, r) => n + r.refereeMs, 0),
  }
  for (const [i, v] of volunteers.entries()) if (!left.has(i)) await v.stop()
  await coordinator.stop()
  await relay.stop()
  return result
}

/** Of the units hostile peers cheated on, the share rejected or left without credit (a caught peer keeps none). */
export function caughtShare(peers: readonly PeerOutcome[]): { bad: number; caught: number } {
  let bad = 0
  let caught = 0
  for (const p of peers.filter((x) => x.hostile)) {
    bad += p.cheats.length
    caught += p.credit === 0 ? p.cheats.length : p.cheats.filter((u) => p.rejectedUnits.includes(u)).length
  }
  return { bad, caught }
}

/** Of the units honest peers submitted, how many were refused. */
export function honestRefused(peers: readonly PeerOutcome[]): { submitted: number; refused: number } {
  const honest = peers.filter((p) => !p.hostile)
  return { submitted: honest.reduce((n, p) => n + p.accepted + p.rejected, 0), refused: honest.reduce((n, p) => n + p.rejected, 0) }
}
