// Runs the device check on demand and shows throughput per backend and whether WebGPU agrees with wasm.
import { useStack } from '../stack-context.ts'
import { AGREEMENT_TOLERANCE, CHECK_STEPS, useDeviceCheck, type StageCheck } from '../hooks/useDeviceCheck.ts'
import { ScrollRegion } from './ScrollRegion.tsx'
import { DEFAULT_THRESHOLDS } from '../../training/verification.ts'
import { STAGE_TOLERANCE } from '../../compute/stage-check.ts'

export function DeviceCheckPanel() {
  const { device } = useStack()
  const { state, start } = useDeviceCheck(device.status === 'ready' ? device.choice : null)
  const agree = state.status === 'done' && (state.comparison === null || state.comparison.maxParamRelativeL2 < AGREEMENT_TOLERANCE)
  return (
    <section className="card" data-testid="device-check" aria-busy={state.status === 'running'}>
      <h2>Check this device</h2>
      <p>Trains {CHECK_STEPS} steps of the demo CNN on real Fashion-MNIST images with each available engine, measures throughput and checks that the GPU's results match the CPU's, and that a model split into stages trains as the whole model does.</p>
      <button type="button" onClick={start} disabled={device.status !== 'ready' || state.status === 'running'}>
        {state.status === 'running' ? 'Checking…' : state.status === 'done' ? 'Check again' : 'Run the check'}
      </button>
      {state.status === 'running' && <p role="status" data-testid="check-phase">{state.phase}</p>}
      {state.status === 'failed' && <p className="error" role="alert" data-testid="check-error">The check failed: {state.error}</p>}
      {state.status === 'done' && (
        <>
          <ScrollRegion label="Device check results">
          <table className="peers">
            <thead>
              <tr><th scope="col">Engine</th><th scope="col">Compile</th><th scope="col">Samples/s</th><th scope="col">GFLOP/s</th><th scope="col">Loss first → last</th></tr>
            </thead>
            <tbody>
              {state.runs.map((r) => (
                <tr key={r.backend} data-testid="check-run" data-backend={r.backend} data-first-loss={r.summary.losses[0]} data-last-loss={r.summary.losses[r.summary.losses.length - 1]}>
                  <td>{r.backend === 'webgpu' ? 'WebGPU' : 'WebAssembly'}{r.fellBackFrom !== null && <> (fell back from {r.fellBackFrom})</>}</td>
                  <td>{(r.compileMs / 1000).toFixed(1)} s</td>
                  <td>{r.summary.samplesPerSecond.toFixed(0)}</td>
                  <td>{r.summary.gflopsPerSecond.toFixed(2)}</td>
                  <td>{r.summary.losses[0]!.toFixed(3)} → {r.summary.losses[r.summary.losses.length - 1]!.toFixed(3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </ScrollRegion>
          <p data-testid="check-verdict" data-agree={String(agree)} data-max-rel={state.comparison?.maxParamRelativeL2 ?? ''} data-segment-error={state.comparison?.segmentError ?? ''}>
            {state.comparison === null
              ? 'Only WebAssembly is available here; its results are the reference.'
              : agree
                ? `WebGPU and WebAssembly agree: largest parameter difference ${state.comparison.maxParamRelativeL2.toExponential(1)} (limit ${AGREEMENT_TOLERANCE}); they end ${(100 * state.comparison.segmentError).toFixed(2)} % of a segment's movement apart, where an audit allows ${100 * DEFAULT_THRESHOLDS.maxSegmentError} %.`
                : `WebGPU disagrees with WebAssembly on ${state.comparison.worstParam} by ${state.comparison.maxParamRelativeL2.toExponential(1)}: this GPU's work would fail verification. Use WebAssembly on this device.`}
          </p>
          <StageCheckLine stages={state.stages} />
        </>
      )}
    </section>
  )
}

/** The split-model check's verdict, or why it could not run. */
function StageCheckLine({ stages }: { stages: StageCheck }) {
  const engine = stages.backend === 'webgpu' ? 'WebGPU' : 'WebAssembly'
  if (stages.error !== null) {
    return <p className="error" data-testid="stage-check" data-backend={stages.backend} data-agree="false" data-error={stages.error}>A model split into stages could not be checked on {engine}: {stages.error}</p>
  }
  const limit = STAGE_TOLERANCE[stages.backend]
  return (
    <p data-testid="stage-check" data-backend={stages.backend} data-agree={String(stages.agree)} data-max-rel={stages.maxRelative}>
      A transformer split into {stages.results.map((r) => r.stages).join(', ')} stages (a model shared across tabs) on {engine}:{' '}
      {stages.agree
        ? `its gradients match the unsplit model's within ${stages.maxRelative.toExponential(1)} (limit ${limit}).`
        : `its gradients differ from the unsplit model's by ${stages.maxRelative.toExponential(1)} (limit ${limit}): this device should not hold a stage.`}
    </p>
  )
}
