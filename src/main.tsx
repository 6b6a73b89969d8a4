// Entry point: make sure the page is cross-origin isolated (through the service worker where the host sends
// no headers), learn where the relay and chain are from the server that served us, then render the app.
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app/App.tsx'
import { ConfigError } from './app/components/ConfigError.tsx'
import { loadStackConfig } from './app/load-stack-config.ts'
import { ensureIsolation } from './app/service-worker-client.ts'
import { errorMessage } from './errors.ts'
import './app/styles.css'

const root = createRoot(document.getElementById('root') as HTMLElement)

if ((await ensureIsolation()) !== 'reloading') {
  loadStackConfig().then(
    (config) => root.render(<StrictMode><App config={config} /></StrictMode>),
    (error: unknown) => root.render(<ConfigError message={errorMessage(error)} />),
  )
}
