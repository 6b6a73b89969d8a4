import { describe, expect, it } from 'vitest'
import { testJob } from './testing/job-fixture.ts'
import { DIM, distance, Harness, runRounds } from './testing/coordinator-harness.ts'
import { quantizeInt8 } from './quantize.ts'
import type { DatasetOffer } from './datasets.ts'

describe('coordinator', () => {
  it('trains with honest volunteers: every unit accepted, each credited once', async () => {
    const h = new Harness(testJob())
    await h.open()
    const start = distance(h.coordinator.currentParams)
    await runRounds(h, [['a', 'honest'], ['b', 'honest'], ['c', 'honest']], 6)
    expect(distance(h.coordinator.currentParams)).toBeLessThan(start * 0.5)
    const history = h.coordinator.view.history
    expect(history).toHaveLength(6)
    expect(history.every((r) => r.rejected === 0 && r.accepted === 4 && r.dropped === 0)).toBe(true)
    expect(history.some((r) => r.verified > 0)).toBe(true)
    const credited = ['a', 'b', 'c'].reduce((n, p) => n + h.coordinator.credits.volunteer(p).units, 0)
    const acceptedReplicas = Object.values(h.coordinator.view.peers).reduce((n, p) => n + p.accepted, 0)
    expect(credited).toBe(acceptedReplicas)
    expect(h.coordinator.credits.volunteer('a').flops).toBe(h.coordinator.credits.volunteer('a').units * 1000 * 4)
    expect(h.coordinator.credits.dataOwner('alice').samples + h.coordinator.credits.dataOwner('bob').samples).toBe(6 * 4 * 32)
    expect(history.at(-1)!.testAccuracy!).toBeGreaterThan(h.coordinator.view.initialAccuracy!)
  })

  for (const behaviour of ['flip', 'scale'] as const) {
    it(`rejects every unit of a ${behaviour} volunteer and bans it, while honest units are all accepted`, async () => {
      const h = new Harness(testJob())
      await h.open()
      const start = distance(h.coordinator.currentParams)
      await runRounds(h, [['byz', behaviour], ['a', 'honest'], ['b', 'honest'], ['c', 'honest']], 6)
      const peers = h.coordinator.view.peers
      expect(peers.byz!.accepted).toBe(0)
      expect(peers.byz!.rejected).toBeGreaterThan(0)
      expect(peers.byz!.banned).toBe(true)
      for (const p of ['a', 'b', 'c']) expect(peers[p]!.rejected).toBe(0)
      expect(h.coordinator.credits.volunteer('byz').units).toBe(0)
      expect(distance(h.coordinator.currentParams)).toBeLessThan(start * 0.5)
      expect((await h.coordinator.requestWork('byz')).kind).toBe('wait')
    })
  }

  it('resumes from its checkpoint mid-round without losing or double-counting a unit', async () => {
    const h = new Harness(testJob({ redundancy: 0 }))
    await h.open()
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 2)
    const first = await h.work('a', 'honest')
    expect(first.accepted).toBe(true)
    const pendingB = await h.coordinator.requestWork('b')
    const before = JSON.parse(h.checkpoints.text!)
    // Reload: a new coordinator from the same stores.
    const restored = await h.open()
    expect(restored.view.current.round).toBe(before.current.round)
    expect(restored.view.history).toHaveLength(2)
    // The same result again is refused; b's unit assigned before the reload is still b's.
    expect(await restored.submit('a', first.result!, await h.vectors.getDelta(first.result!.deltaCid))).toEqual({ accepted: false, reason: expect.stringMatching(/already submitted/) })
    const again = await restored.requestWork('b')
    expect(again).toEqual(pendingB)
    await runRounds(h, [['a', 'honest'], ['b', 'honest']], 2)
    const units = Object.values(restored.view.peers).reduce((n, p) => n + p.accepted, 0)
    expect(restored.credits.volunteer('a').units + restored.credits.volunteer('b').units).toBe(units)
    expect(units).toBe(4 * 4)
  })

  it('refuses results for the wrong job, round or shape, and unassigned units', async () => {
    const h = new Harness(testJob({ redundancy: 0 }))
    await h.open()
    const { result } = await h.work('a', 'honest')
    const q = quantizeInt8(new Float32Array(DIM))
    expect(await h.coordinator.submit('a', { ...result!, jobId: 'other' }, q)).toMatchObject({ accepted: false, reason: expect.stringMatching(/unknown job/) })
    expect(await h.coordinator.submit('a', { ...result!, round: 9 }, q)).toMatchObject({ accepted: false, reason: expect.stringMatching(/closed/) })
    expect(await h.coordinator.submit('z', result!, q)).toMatchObject({ accepted: false, reason: expect.stringMatching(/not assigned/) })
    const reply = await h.coordinator.requestWork('b')
    if (reply.kind !== 'unit') throw new Error('expected a unit')
    const wrong = await h.coordinator.submit('b', { ...result!, unitId: reply.unit.unitId }, quantizeInt8(new Float32Array(DIM - 1)))
    expect(wrong).toMatchObject({ accepted: false, reason: expect.stringMatching(/values, the model has/) })
  })

  it('drops stragglers at the deadline and reassigns expired units', async () => {
    const h = new Harness(testJob({ redundancy: 0, unitsPerRound: 2 }))
    await h.open()
    const slow = await h.coordinator.requestWork('slow')
    expect(slow.kind).toBe('unit')
    await h.work('a', 'honest')
    h.clock += h.job.roundMs + 1
    const report = await h.coordinator.tick()
    expect(report).toMatchObject({ accepted: 1, dropped: 1 })
    expect(h.coordinator.view.current.round).toBe(1)
  })
})

describe('contributed datasets', () => {
  const offer = (id: string, overrides: Partial<DatasetOffer> = {}): DatasetOffer => ({
    id, name: `set ${id}`, licence: 'CC0-1.0', owner: 'carol', height: 28, width: 28, classes: testJob().classes,
    chunks: [{ cid: `${id}-c0`, samples: 100 }, { cid: `${id}-c1`, samples: 20 }], merkleRoot: '0x00', samples: 120, ...overrides,
  })

  it('rejects misfits at once, trains on accepted chunks next round and credits their owner per sample', async () => {
    const h = new Harness(testJob({ redundancy: 0, unitsPerRound: 4 }))
    const c = await h.open()
    expect((await c.offerDataset(offer('small', { height: 14, width: 14 }))).reason).toBe("its images are 14×14; this job's model takes 28×28")
    expect((await c.offerDataset(offer('cats', { classes: ['cat', 'dog'] }))).status).toBe('rejected')
    await expect(c.decideDataset('cats', true, '')).rejects.toThrow(/cannot serve this job/)
    const pending = await c.offerDataset(offer('good'))
    expect(pending).toMatchObject({ status: 'pending', samplesUsed: 0 })
    expect(await c.offerDataset(offer('good'))).toMatchObject({ status: 'pending' })
    expect(c.datasets).toHaveLength(3)
    await runRounds(h, [['v1', 'honest'], ['v2', 'honest']], 1)
    expect(c.datasets.find((d) => d.id === 'good')!.samplesUsed).toBe(0)
    await c.decideDataset('good', true, '')
    // Planned at the next close: the two new chunks are the least used shards.
    await runRounds(h, [['v1', 'honest'], ['v2', 'honest']], 1)
    const planned = c.view.current.units.map((u) => c.shardAt(u.shards[0]!))
    expect(planned.filter((s) => s.dataset === 'good').map((s) => s.cid)).toEqual(['good-c0', 'good-c1'])
    await runRounds(h, [['v1', 'honest'], ['v2', 'honest']], 1)
    const perUnit = h.job.batchSize * h.job.innerSteps
    expect(c.datasets.find((d) => d.id === 'good')!.samplesUsed).toBe(2 * perUnit)
    expect(c.credits.dataOwner('carol').samples).toBe(2 * perUnit)
    // Withdrawn: no longer planned, credit kept.
    await c.decideDataset('good', false, 'mislabelled coats')
    expect(c.datasets.find((d) => d.id === 'good')).toMatchObject({ status: 'rejected', reason: 'mislabelled coats' })
    await runRounds(h, [['v1', 'honest'], ['v2', 'honest']], 2)
    expect(c.view.current.units.every((u) => !c.shardAt(u.shards[0]!).dataset)).toBe(true)
    await expect(c.decideDataset('nope', true, '')).rejects.toThrow(/no dataset nope/)
  })

  it('keeps datasets and the pool across a checkpoint restore', async () => {
    const h = new Harness(testJob({ redundancy: 0 }))
    const c = await h.open()
    await c.offerDataset(offer('good'))
    await c.decideDataset('good', true, '')
    const again = await h.open()
    expect(again.datasets[0]).toMatchObject({ id: 'good', status: 'accepted' })
    expect(again.shardAt(8)).toEqual({ cid: 'good-c0', samples: 100, owner: 'carol', dataset: 'good' })
  })
})
