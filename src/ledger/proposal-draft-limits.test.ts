// The proposal form at its limits: subjects of exactly 128 bytes and one more, dataset ids the governor could
// not store, a kind this app does not know, and the veto epoch read from what the user typed. A draft refused
// here costs nobody gas; one let through that the coordinator cannot apply wastes a vote.
import { describe, expect, it } from 'vitest'
import { EMPTY_DRAFT, MAX_SUBJECT_BYTES, validateProposalDraft, type DraftContext, type ProposalDraft } from './proposal-draft.ts'

const context: DraftContext = {
  parameters: ['innerLr'],
  checkParameter: () => null,
  datasets: [{ id: 'bafy-a', name: 'Slice A', status: 'accepted' }, { id: 'bafy-c', name: 'Slice C', status: 'pending' }, { id: 'd'.repeat(128), name: 'Long', status: 'pending' }, { id: 'e'.repeat(129), name: 'Longer', status: 'accepted' }],
  vetoable: [4, 5],
}
const draft = (over: Partial<ProposalDraft>): ProposalDraft => ({ ...EMPTY_DRAFT, ...over })

describe('validateProposalDraft at its limits', () => {
  it('starts from an empty hyper-parameter form', () => {
    expect(EMPTY_DRAFT).toEqual({ kind: 'set-hyper-parameter', parameter: '', value: '', dataset: '', epoch: '', subject: '' })
    expect(validateProposalDraft(EMPTY_DRAFT, context)).toEqual({ ok: false, errors: { parameter: 'choose one of innerLr' } })
  })

  it('refuses a kind this app does not know, quoting at most 30 characters of it', () => {
    expect(validateProposalDraft(draft({ kind: 'pause-job' as ProposalDraft['kind'] }), context)).toEqual({ ok: false, errors: { kind: 'unknown proposal kind "pause-job"' } })
    expect(validateProposalDraft(draft({ kind: 'k'.repeat(40) as ProposalDraft['kind'] }), context)).toEqual({ ok: false, errors: { kind: `unknown proposal kind "${'k'.repeat(30)}"` } })
  })

  it('takes a subject of exactly 128 bytes and refuses 129, counting bytes rather than characters', () => {
    expect(MAX_SUBJECT_BYTES).toBe(128)
    const exactly = `${'€'.repeat(42)}ab`
    expect(validateProposalDraft(draft({ kind: 'end-job', subject: exactly }), context)).toEqual({ ok: true, kind: 3, subject: exactly, value: 0n })
    expect(validateProposalDraft(draft({ kind: 'end-job', subject: `${exactly}c` }), context)).toEqual({ ok: false, errors: { subject: 'at most 128 bytes (this is 129); link longer evidence by its content id' } })
    expect(validateProposalDraft(draft({ kind: 'veto-root', epoch: '4', subject: 'x'.repeat(129) }), context)).toEqual({ ok: false, errors: { subject: 'at most 128 bytes (this is 129); link longer evidence by its content id' } })
  })

  it('refuses to exclude a dataset that is only pending, and a dataset whose id the governor cannot store', () => {
    expect(validateProposalDraft(draft({ kind: 'exclude-dataset', dataset: 'bafy-c' }), context)).toEqual({ ok: false, errors: { dataset: '"Slice C" is not trained on now (it is pending)' } })
    expect(validateProposalDraft(draft({ kind: 'include-dataset', dataset: 'd'.repeat(128) }), context)).toEqual({ ok: true, kind: 0, subject: 'd'.repeat(128), value: 0n })
    expect(validateProposalDraft(draft({ kind: 'exclude-dataset', dataset: 'e'.repeat(129) }), context)).toEqual({ ok: false, errors: { dataset: 'its id is longer than the 128 bytes a proposal may name' } })
  })

  it('vetoes only an epoch typed as one of those still open to challenge', () => {
    expect(validateProposalDraft(draft({ kind: 'veto-root', epoch: '4', subject: 'bafy-evidence' }), context)).toEqual({ ok: true, kind: 4, subject: 'bafy-evidence', value: 4n })
    for (const epoch of ['', '4.5', 'four', '6']) {
      expect(validateProposalDraft(draft({ kind: 'veto-root', epoch, subject: 'bafy-evidence' }), context), epoch).toEqual({ ok: false, errors: { epoch: 'choose an epoch still open to challenge (4, 5)' } })
    }
  })

  it('names a missing reason for a veto along with there being nothing to veto', () => {
    expect(validateProposalDraft(draft({ kind: 'veto-root', epoch: '4', subject: '' }), { ...context, vetoable: [] })).toEqual({
      ok: false,
      errors: { epoch: 'no root is in its challenge period now, so there is none to veto', subject: 'say where the evidence is (a content id, or a short description)' },
    })
    expect(validateProposalDraft(draft({ kind: 'veto-root', epoch: '5', subject: ' ' }), context)).toEqual({ ok: false, errors: { subject: 'say where the evidence is (a content id, or a short description)' } })
  })
})
