// Shows which engine this device will train with and why, with the adapter facts behind the decision.
import { useStack } from '../stack-context.ts'

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString()} MiB`

export function DevicePanel() {
  const { device } = useStack()
  if (device.status === 'probing') return <section className="card" aria-busy="true"><h2>Your device</h2><p>Probing WebGPU and WebAssembly in the compute worker…</p></section>
  if (device.status === 'failed') return <section className="card error" role="alert"><h2>Your device</h2><p>The device probe failed: {device.error}. Reload the page; if it persists, this browser cannot run Tesserae work.</p></section>
  const { report, choice } = device
  return (
    <section className="card" data-testid="device-panel" data-backend={choice.backend}>
      <h2>Your device</h2>
      <p className="backend">
        Backend: <strong data-testid="backend">{choice.backend === 'webgpu' ? 'WebGPU' : 'WebAssembly'}</strong>
      </p>
      <p data-testid="backend-reason">{choice.reason}</p>
      <dl className="facts">
        {report.webgpu.available ? (
          <>
            <dt>GPU adapter</dt>
            <dd data-testid="adapter">{[report.webgpu.adapter.vendor, report.webgpu.adapter.architecture, report.webgpu.adapter.description].filter(Boolean).join(' · ') || 'unnamed'}</dd>
            <dt>Largest buffer</dt>
            <dd>{mib(report.webgpu.limits.maxBufferSize)} (storage binding {mib(report.webgpu.limits.maxStorageBufferBindingSize)})</dd>
            <dt>Workgroup</dt>
            <dd>{report.webgpu.limits.maxComputeInvocationsPerWorkgroup} invocations, {report.webgpu.limits.maxComputeWorkgroupStorageSize / 1024} KiB shared</dd>
            <dt>Features</dt>
            <dd>
              {report.webgpu.features.length === 0 ? 'none' : (
                <details>
                  <summary>{report.webgpu.features.length} optional features</summary>
                  {report.webgpu.features.join(', ')}
                </details>
              )}
            </dd>
          </>
        ) : (
          <>
            <dt>WebGPU</dt>
            <dd data-testid="webgpu-unavailable">{report.webgpu.reason}</dd>
          </>
        )}
        <dt>WebAssembly</dt>
        <dd data-testid="wasm-facts">
          {choice.wasmThreads} thread{choice.wasmThreads === 1 ? '' : 's'} of {report.wasm.hardwareConcurrency} cores · SIMD {report.wasm.simd ? 'yes' : 'no'} · SharedArrayBuffer {report.wasm.sharedArrayBuffer ? 'yes' : 'no'}
        </dd>
      </dl>
    </section>
  )
}
