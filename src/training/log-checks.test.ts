import { describe, expect, it } from 'vitest'
import { auditDraw, resultCommitment } from './audit-draw.ts'
import { checkRounds } from './log-checks.ts'
import type { RoundRecord } from './job-log.ts'
import { Harness, runRounds } from './testing/coordinator-harness.ts'
import { testJob } from './testing/job-fixture.ts'

async function honestLog(auditRate: number, rounds = 3): Promise<RoundRecord[]> {
  const h = new Harness(testJob({ auditRate }))
  await h.open()
  await runRounds(h, [['a', 'honest'], ['b', 'honest'], ['c', 'honest']], rounds)
  return h.log.rounds(h.coordinator.view.logHead)
}

const accepted = (rounds: RoundRecord[]) => rounds.flatMap((r) => r.units.flatMap((u) => u.holders.filter((h) => h.status === 'accepted').map((h) => ({ round: r, unit: u, holder: h }))))

describe('checks on the job log\'s round records', () => {
  it('find nothing wrong in an honest log, at any audit rate', async () => {
    for (const rate of [0, 0.3, 1]) expect(await checkRounds(await honestLog(rate))).toEqual([])
  })

  it('catch a skipped probation audit, a skipped drawn audit and a skipped audit at rate 1', async () => {
    const log = await honestLog(0.3)
    // Each peer's first accepted unit was audited on probation: drop that audit.
    const first = accepted(log).find((x) => x.holder.audit?.reason === 'probation')!
    delete first.holder.audit
    expect(await checkRounds(log)).toContainEqual(expect.objectContaining({ code: 'AUDIT_SKIPPED', unit: first.unit.id, peer: first.holder.peer, message: expect.stringMatching(/first unit/) }))

    // A result the draw picked (3 peers × 3 rounds at rate 0.3 draws some; the harness's secret is fixed).
    const again = await honestLog(0.3)
    const drawn = accepted(again).find((x) => x.holder.audit?.reason === 'draw')!
    delete drawn.holder.audit
    expect(await checkRounds(again)).toEqual([expect.objectContaining({ code: 'AUDIT_SKIPPED', unit: drawn.unit.id, message: expect.stringMatching(/draw 0\.[0-9]+ is under the audit rate 0\.3/) })])

    const every = await honestLog(1)
    const some = accepted(every).at(-1)!
    delete some.holder.audit
    expect(await checkRounds(every)).toEqual([expect.objectContaining({ code: 'AUDIT_SKIPPED', unit: some.unit.id, message: expect.stringMatching(/every unit/) })])
  })

  it('catch a secret that is not the committed one, and a commitment that is not the signed result\'s hash', async () => {
    const log = await honestLog(0.3)
    log[1]!.roundSecret = 'ab'.repeat(32)
    const x = accepted(log).find((a) => a.round === log[2])!
    x.holder.commitment = '00'.repeat(32)
    expect(await checkRounds(log)).toEqual([
      expect.objectContaining({ code: 'BAD_SECRET', round: log[1]!.round }),
      expect.objectContaining({ code: 'BAD_COMMITMENT', round: log[2]!.round, unit: x.unit.id }),
    ])
  })

  it('check nothing in records from before audits existed: no commitment, nothing owed', async () => {
    const log = await honestLog(1)
    log[0]!.auditCommitment = ''
    log[0]!.roundSecret = 'ab'.repeat(32)
    for (const x of accepted(log).filter((a) => a.round === log[0])) delete x.holder.audit
    expect(await checkRounds(log)).toEqual([])
  })

  /**
   * Drops the audit of every result that was re-executed only because a cheap check flagged it (the harness's
   * updates always look odd) and that the rules did not owe an audit: past probation, its draw above the rate.
   */
  async function spareUnowed(log: RoundRecord[]) {
    const spared = []
    for (const x of accepted(log)) {
      if (x.holder.audit?.reason !== 'suspicious') continue
      if ((await auditDraw(x.round.roundSecret, await resultCommitment(x.holder.result!))) < x.round.spec.auditRate) continue
      delete x.holder.audit
      spared.push(x)
    }
    return spared
  }

  it('owe nothing for a result past probation that the draw did not pick, nor for one that was not accepted', async () => {
    const log = await honestLog(0.3, 4)
    // The check below means something only if some results were spared.
    expect((await spareUnowed(log)).length).toBeGreaterThan(0)
    expect(await checkRounds(log)).toEqual([])
    const audited = accepted(log).find((x) => x.holder.audit?.reason === 'draw')!
    audited.holder.status = 'superseded'
    delete audited.holder.audit
    expect(await checkRounds(log)).toEqual([])
  })

  it('count a passed audit decided at the very millisecond a later result was submitted as ending probation', async () => {
    const log = await honestLog(0.3, 4)
    const [spared] = await spareUnowed(log)
    const at = spared!.holder.submittedAtMs!
    for (const x of accepted(log)) if (x.holder.peer === spared!.holder.peer && x.holder.audit?.outcome === 'passed' && x.holder.decidedAtMs! < at) x.holder.decidedAtMs = at
    expect(await checkRounds(log)).toEqual([])
  })

  it('name the round, unit and peer in each finding, and need no commitment where none was recorded', async () => {
    const log = await honestLog(0.3)
    log[1]!.roundSecret = 'ab'.repeat(32)
    expect((await checkRounds(log))[0]!.message).toBe(`round ${log[1]!.round}: the revealed audit secret does not hash to the commitment announced while the round ran`)
    const clean = await honestLog(0.3)
    const x = accepted(clean)[0]!
    x.holder.commitment = '00'.repeat(32)
    expect((await checkRounds(clean))[0]!.message).toBe(`round ${x.round.round}, unit ${x.unit.id}: the recorded commitment of ${x.holder.peer.slice(0, 16)}…'s result is not the hash of what it signed`)
    delete x.holder.commitment
    expect(await checkRounds(clean)).toEqual([])
    const first = accepted(clean).find((a) => a.holder.audit?.reason === 'probation')!
    delete first.holder.audit
    expect((await checkRounds(clean))[0]!.message).toBe(`round ${first.round.round}, unit ${first.unit.id}: ${first.holder.peer.slice(0, 16)}…'s result was accepted without the re-execution the rules required (a new peer's first unit is re-executed)`)
  })
})
