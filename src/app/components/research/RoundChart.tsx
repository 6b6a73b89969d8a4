// Test accuracy, training loss (mean over units) and held-out test loss per round, drawn with uPlot (canvas, fast enough to redraw on every
// metrics message). The numbers are also in the rounds table next to it, for screen readers. Rounds are whole
// numbers on the axis, and the legend shows the latest round's values unless the pointer is on another round.
import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { RoundReport } from '../../../training/coordinator-state.ts'

/** Tick spacings for the round axis: whole rounds only. */
const ROUND_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]

/** The legend reads the latest round when the pointer is not over the chart (uPlot shows "--" otherwise). */
function showLatest(chart: uPlot): void {
  const points = chart.data[0]?.length ?? 0
  if (points > 0) chart.setLegend({ idx: points - 1 })
}

type Series = [number[], Array<number | null>, Array<number | null>, Array<number | null>]

function series(reports: readonly RoundReport[]): Series {
  const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v)
  return [reports.map((r) => r.round), reports.map((r) => finite(r.testAccuracy)), reports.map((r) => finite(r.meanLossAfter)), reports.map((r) => finite(r.testLoss))]
}

export function RoundChart({ reports }: { reports: readonly RoundReport[] }) {
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)

  useEffect(() => {
    const el = host.current
    if (!el) return
    const chart = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 220,
        scales: { x: { time: false }, acc: { range: [0, 1] }, loss: {} },
        series: [
          { label: 'Round' },
          { label: 'Test accuracy', scale: 'acc', stroke: '#34d399', width: 2 },
          { label: 'Training loss (end of unit)', scale: 'loss', stroke: '#60a5fa', width: 2 },
          { label: 'Test loss', scale: 'loss', stroke: '#f59e0b', width: 2, dash: [6, 4] },
        ],
        axes: [{ label: 'round', stroke: '#94a3b8', incrs: ROUND_STEPS, values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) }, { scale: 'acc', label: 'accuracy', stroke: '#94a3b8' }, { scale: 'loss', side: 1, label: 'loss', stroke: '#94a3b8', grid: { show: false } }],
      },
      [[], [], [], []],
      el,
    )
    chart.over.addEventListener('mouseleave', () => showLatest(chart))
    plot.current = chart
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(280, el.clientWidth), height: 220 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      chart.destroy()
      plot.current = null
    }
  }, [])

  useEffect(() => {
    const chart = plot.current
    if (!chart) return
    chart.setData(series(reports) as uPlot.AlignedData)
    showLatest(chart)
  }, [reports])

  return <div ref={host} className="chart" role="img" aria-label={`Test accuracy, training and test loss over ${reports.length} rounds`} data-testid="round-chart" data-points={reports.length} />
}
