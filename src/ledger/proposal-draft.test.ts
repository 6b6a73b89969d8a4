import { describe, expect, it } from 'vitest'
import { EMPTY_DRAFT, validateProposalDraft, type DraftContext, type ProposalDraft } from './proposal-draft.ts'

const context: DraftContext = {
  parameters: ['innerLr', 'innerSteps'],
  checkParameter: (name, value) => (name === 'innerSteps' && !Number.isInteger(value) ? 'innerSteps must be a whole number' : value > 1 ? 'must be at most 1' : null),
  datasets: [{ id: 'bafy-a', name: 'Slice A', status: 'accepted' }, { id: 'bafy-b', name: 'Slice B', status: 'rejected' }, { id: 'bafy-c', name: 'Slice C', status: 'pending' }],
  vetoable: [4, 5],
}
const draft = (over: Partial<ProposalDraft>): ProposalDraft => ({ ...EMPTY_DRAFT, ...over })

describe('validateProposalDraft', () => {
  it('turns a hyper-parameter change into its name and an 18-decimal value', () => {
    expect(validateProposalDraft(draft({ parameter: 'innerLr', value: '5e-4' }), context)).toEqual({ ok: true, kind: 2, subject: 'innerLr', value: 5n * 10n ** 14n })
  })

  it('refuses an unknown parameter, an unreadable value and one the job cannot take, field by field', () => {
    expect(validateProposalDraft(draft({ parameter: 'model', value: '1' }), context)).toEqual({ ok: false, errors: { parameter: 'choose one of innerLr, innerSteps' } })
    expect(validateProposalDraft(draft({ parameter: 'innerLr', value: 'fast' }), context)).toEqual({ ok: false, errors: { value: expect.stringMatching(/"fast" is not a number/) } })
    expect(validateProposalDraft(draft({ parameter: 'innerLr', value: '2' }), context)).toEqual({ ok: false, errors: { value: 'must be at most 1' } })
    expect(validateProposalDraft(draft({ parameter: 'innerSteps', value: '0.5' }), context)).toEqual({ ok: false, errors: { value: 'innerSteps must be a whole number' } })
  })

  it('excludes only a dataset trained on now, and includes only one that is not', () => {
    expect(validateProposalDraft(draft({ kind: 'exclude-dataset', dataset: 'bafy-a' }), context)).toEqual({ ok: true, kind: 1, subject: 'bafy-a', value: 0n })
    expect(validateProposalDraft(draft({ kind: 'include-dataset', dataset: 'bafy-b' }), context)).toEqual({ ok: true, kind: 0, subject: 'bafy-b', value: 0n })
    expect(validateProposalDraft(draft({ kind: 'include-dataset', dataset: 'bafy-c' }), context)).toMatchObject({ ok: true, subject: 'bafy-c' })
    expect(validateProposalDraft(draft({ kind: 'exclude-dataset', dataset: 'bafy-b' }), context)).toEqual({ ok: false, errors: { dataset: '"Slice B" is not trained on now (it is rejected)' } })
    expect(validateProposalDraft(draft({ kind: 'include-dataset', dataset: 'bafy-a' }), context)).toEqual({ ok: false, errors: { dataset: '"Slice A" is already trained on' } })
    expect(validateProposalDraft(draft({ kind: 'exclude-dataset', dataset: '' }), context)).toEqual({ ok: false, errors: { dataset: 'choose one of the datasets offered to this job' } })
    expect(validateProposalDraft(draft({ kind: 'exclude-dataset', dataset: 'bafy-a' }), { ...context, datasets: [] })).toEqual({ ok: false, errors: { dataset: 'nobody has offered this job a dataset yet' } })
  })

  it('needs a reason of at most 128 bytes to end the job', () => {
    expect(validateProposalDraft(draft({ kind: 'end-job', subject: '  accuracy plateaued  ' }), context)).toEqual({ ok: true, kind: 3, subject: 'accuracy plateaued', value: 0n })
    expect(validateProposalDraft(draft({ kind: 'end-job', subject: ' ' }), context)).toEqual({ ok: false, errors: { subject: 'say why the job should end' } })
    // 43 three-byte characters: 129 bytes, though only 43 characters.
    expect(validateProposalDraft(draft({ kind: 'end-job', subject: '€'.repeat(43) }), context)).toEqual({ ok: false, errors: { subject: expect.stringMatching(/^at most 128 bytes \(this is 129\)/) } })
  })

  it('vetoes only an epoch still open to challenge, with its evidence, and names every bad field at once', () => {
    expect(validateProposalDraft(draft({ kind: 'veto-root', epoch: '5', subject: 'bafy-evidence' }), context)).toEqual({ ok: true, kind: 4, subject: 'bafy-evidence', value: 5n })
    expect(validateProposalDraft(draft({ kind: 'veto-root', epoch: '3', subject: '' }), context)).toEqual({ ok: false, errors: { epoch: 'choose an epoch still open to challenge (4, 5)', subject: expect.stringMatching(/^say where the evidence is/) } })
    expect(validateProposalDraft(draft({ kind: 'veto-root', epoch: '4', subject: 'x' }), { ...context, vetoable: [] })).toEqual({ ok: false, errors: { epoch: 'no root is in its challenge period now, so there is none to veto' } })
  })
})
