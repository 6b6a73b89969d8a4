// Registers the service worker (workers/service-worker.ts, built to /sw.js). Where the host sent no
// cross-origin isolation headers, the worker adds them to every response it serves, but only to pages it
// controls: the first visit reloads once after it takes control. A second reload is never attempted, so a
// browser without service workers simply runs single-threaded.
export const SERVICE_WORKER_URL = '/sw.js'
const RELOADED_KEY = 'tesserae:isolation-reload'

/** 'reloading' means the page is about to be replaced: render nothing. */
export type IsolationOutcome = 'isolated' | 'reloading' | 'without-isolation'

export async function ensureIsolation(scope: Window = window): Promise<IsolationOutcome> {
  if (scope.crossOriginIsolated) {
    scope.sessionStorage.removeItem(RELOADED_KEY)
    // Only for caching here: register once the page has loaded, so its precache reuses what this visit fetched.
    const register = () => void registerWorker(scope)
    if (scope.document.readyState === 'complete') register()
    else scope.addEventListener('load', register, { once: true })
    return 'isolated'
  }
  if (!(await registerWorker(scope)) || scope.sessionStorage.getItem(RELOADED_KEY) !== null) return 'without-isolation'
  // Wait for the worker to control this page (it claims clients when it activates), then load it again through it.
  const container = scope.navigator.serviceWorker
  if (container.controller === null) await new Promise((resolve) => container.addEventListener('controllerchange', resolve, { once: true }))
  scope.sessionStorage.setItem(RELOADED_KEY, String(Date.now()))
  scope.location.reload()
  return 'reloading'
}

async function registerWorker(scope: Window): Promise<boolean> {
  // Service workers need a secure context (https, or http on localhost); the dev server has none to serve.
  if (import.meta.env.DEV || !('serviceWorker' in scope.navigator) || !scope.isSecureContext) return false
  try {
    await scope.navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' })
    return true
  } catch (error) {
    console.warn(`The service worker could not be registered, so repeat visits download the app again: ${String(error)}`)
    return false
  }
}
