// Volunteers who leave: ten headless volunteers over loopback libp2p, three of them closing at random moments
// (mid-unit, mid-upload, between units) over ten rounds. Their units go to others the moment their
// connections close, so no round waits for its deadline, and every accepted unit is credited exactly once.
import { describe, expect, it } from 'vitest'
import { loadFashionMnist } from '../fashion-mnist.ts'
import { subset } from './subset.ts'
import { runScenario } from './scenario.ts'
import { seededRandom } from '../../src/random.ts'

const ROUNDS = 10

describe('volunteers leaving mid-round (swarm over libp2p)', () => {
  it('loses no round to a leaver and credits every accepted unit once', async () => {
    const [train, test] = await Promise.all([loadFashionMnist('train').then((s) => subset(s, 0, 4096)), loadFashionMnist('test')])
    const r = seededRandom(30)
    const log: string[] = []
    const leaving = new Set([1, 4, 7])
    const result = await runScenario({
      train,
      test,
      volunteers: Array.from({ length: 10 }, (_, i) => (leaving.has(i) ? { leaveAfterMs: 4_000 + r() * 16_000 } : {})),
      // 80 s rounds: the first round also starts ten peers' engines, which on 2 cores shared with other test
      // files took 30.6 s once; "closed before half its deadline" must hold for it too.
      overrides: { model: 'mlp', batchSize: 32, innerSteps: 32, unitsPerRound: 8, roundMs: 80_000, rounds: ROUNDS },
      timeoutMs: 180_000,
      log: (line) => log.push(`${Math.round(performance.now())} ${line}`),
    })
    expect(result.finished, `${JSON.stringify(result.history.map((h) => [h.round, h.closedAtMs - h.startedAtMs, h.accepted, h.rejections]))}\n${log.slice(-40).join('\n')}`).toBe(true)
    expect(result.history).toHaveLength(ROUNDS)
    for (const report of result.history) {
      // Round 0 also starts ten engines and audits every first unit; in the full suite on 2 cores it has taken
      // 43 s. A round that waited for a leaver would end at its deadline, which either bound still catches.
      expect(report.closedAtMs - report.startedAtMs, `round ${report.round}`).toBeLessThan(result.roundMs * (report.round === 0 ? 0.75 : 0.5))
      expect(report.dropped).toBe(0)
    }
    // The leavers were working: they had units accepted before they went.
    expect(result.peers.filter((p) => p.left).reduce((n, p) => n + p.accepted, 0)).toBeGreaterThan(0)
    expect(result.unitsAccepted).toBe(ROUNDS * 8)
    // Each volunteer's first unit was a probe, credited once too.
    expect(result.probesAccepted).toBeGreaterThan(0)
    expect(result.unitsCredited).toBe(result.unitsAccepted + result.probesAccepted)
    expect(result.accuracy).toBeGreaterThan(result.initialAccuracy + 0.3)
  }, 240_000)
})
