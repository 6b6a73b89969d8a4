// The verification layer under attack, end to end in Node: a real relay, coordinator (with its referee) and
// volunteers talking libp2p over loopback, ORT wasm training the MLP on Fashion-MNIST, one volunteer in five
// hostile (two in eight for the colluding pair), at the demo job's verification settings. Each attack must
// leave ≥ 95 % of its bad units rejected or uncredited, the attacker with no credit, honest units accepted,
// and the model where the same run without attackers puts it.
import { beforeAll, describe, expect, it } from 'vitest'
import { loadFashionMnist } from '../fashion-mnist.ts'
import { subset } from './subset.ts'
import { caughtShare, honestRefused, runScenario, type ScenarioResult, type ScenarioVolunteer } from './scenario.ts'
import { ATTACKS, colludingPair, type AttackName } from '../../src/training/testing/adversaries.ts'
import { demoJobSpec } from '../../src/roles/demo-job.ts'
import type { LabelledImages } from '../../src/data/labelled-images.ts'

const ROUNDS = 5
const defaults = demoJobSpec({ coordinator: '', train: [], test: [], now: 0 })
// The demo job's verification settings; a small model and short units so every attack fits in CI. A round
// with a withholding peer waits out the coordinator's 20 s checkpoint timeout on top of the first round's start
// (every peer's engine loading on 2 cores): 80 s rounds keep "closed long before its deadline" (half of it)
// meaningful for that round too.
const overrides = { model: 'mlp' as const, batchSize: 32, innerSteps: 32, unitsPerRound: 4, roundMs: 80_000, rounds: ROUNDS, auditRate: defaults.auditRate, aggregator: defaults.aggregator }

describe('verification under attack (swarm over libp2p)', () => {
  let train: LabelledImages
  let test: LabelledImages
  let baseline: ScenarioResult
  const run = (volunteers: ScenarioVolunteer[]) => runScenario({ train, test, volunteers, overrides, timeoutMs: 150_000 })

  beforeAll(async () => {
    ;[train, test] = await Promise.all([loadFashionMnist('train').then((s) => subset(s, 0, 4096)), loadFashionMnist('test')])
    baseline = await run(Array.from({ length: 4 }, () => ({})))
    expect(baseline.finished).toBe(true)
  }, 180_000)

  function expectCaught(result: ScenarioResult): void {
    expect(result.finished).toBe(true)
    const { bad, caught } = caughtShare(result.peers)
    expect(bad).toBeGreaterThan(0)
    expect(caught / bad).toBeGreaterThanOrEqual(0.95)
    const { submitted, refused } = honestRefused(result.peers)
    expect(refused / submitted, JSON.stringify(result.history.flatMap((r) => r.rejections))).toBeLessThan(0.01)
    for (const p of result.peers.filter((x) => x.hostile)) {
      expect(p.banned, `${p.id} not excluded`).toBe(true)
      expect(p.credit).toBe(0)
    }
    expect(Math.abs(result.accuracy - baseline.accuracy)).toBeLessThanOrEqual(0.01)
    // Every round closed on its own, long before its deadline: nobody waited on an attacker.
    console.info(`round times (ms): ${result.history.map((r) => r.closedAtMs - r.startedAtMs).join(', ')}`)
    for (const r of result.history) expect(r.closedAtMs - r.startedAtMs, `round ${r.round}`).toBeLessThan(result.roundMs / 2)
  }

  const single: AttackName[] = ['zero', 'replay', 'stale', 'bias', 'nan', 'lazy', 'withhold', 'sometimes']
  for (const name of single) {
    it(`one "${name}" volunteer in five is caught`, async () => {
      expectCaught(await run([{ attack: ATTACKS[name]() }, {}, {}, {}, {}]))
    }, 180_000)
  }

  it('a colluding pair among eight is caught', async () => {
    const [a, b] = colludingPair()
    expectCaught(await run([{ attack: a }, { attack: b }, {}, {}, {}, {}, {}, {}]))
  }, 180_000)
})
