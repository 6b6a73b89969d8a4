// Fetches /config.json from the origin that served the page and decodes it strictly.
import { TesseraeError } from '../errors.ts'
import { decodeStackConfig, STACK_CONFIG_PATH, type StackConfig } from '../stack/stack-config.ts'

export async function loadStackConfig(): Promise<StackConfig> {
  const response = await fetch(STACK_CONFIG_PATH, { cache: 'no-store' })
  if (!response.ok) throw new TesseraeError('CONFIG_UNAVAILABLE', `The server did not provide ${STACK_CONFIG_PATH} (HTTP ${response.status}). Start the app with "npm start".`)
  return decodeStackConfig(await response.text())
}
