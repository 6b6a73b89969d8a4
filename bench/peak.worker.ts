// One thread of the peak measurement: the page starts as many of these as it gives ORT threads.
import { measurePeakGflops } from './peak-kernel.ts'

self.addEventListener('message', (event: MessageEvent<{ durationMs: number }>) => {
  measurePeakGflops(event.data.durationMs).then(
    (gflops) => self.postMessage({ gflops }),
    (error: unknown) => self.postMessage({ error: String(error) }),
  )
})
