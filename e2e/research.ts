// Starting a job from the Research page with small settings, as several specs do.
import { expect, type Locator, type Page } from '@playwright/test'

export interface TestJobSettings {
  innerSteps: number
  batchSize: number
  unitsPerRound: number
  auditRate: number
  roundSeconds: number
}

/** Fills the job form, starts the job and returns the running job's panel and id. */
export async function startJob(research: Page, settings: TestJobSettings): Promise<{ panel: Locator; jobId: string }> {
  const form = research.getByTestId('coordinator-panel')
  await form.getByLabel('Inner steps per unit (H)').fill(String(settings.innerSteps))
  await form.getByLabel('Batch size').fill(String(settings.batchSize))
  await form.getByLabel('Units per round').fill(String(settings.unitsPerRound))
  await form.getByLabel('Audit rate (share of units re-executed)').fill(String(settings.auditRate))
  await form.getByLabel('Round deadline (seconds)').fill(String(settings.roundSeconds))
  await form.getByRole('button', { name: 'Start the job' }).click()
  const panel = research.locator('[data-testid="coordinator-panel"][data-job-id]')
  await expect(panel).toBeVisible({ timeout: 120_000 })
  return { panel, jobId: (await panel.getAttribute('data-job-id'))! }
}
