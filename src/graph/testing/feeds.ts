// Test and benchmark helper: deterministic random feeds for a graph's inputs (one-hot labels for "y").
import type { Graph } from '../graph.ts'
import { numel } from '../shape.ts'
import { seededRandom } from '../../random.ts'

export function randomFeeds(graph: Graph, seed: number, fixed: Record<string, Float32Array> = {}): Record<string, Float32Array> {
  const random = seededRandom(seed)
  const feeds: Record<string, Float32Array> = {}
  for (const { name, value } of [...graph.inputsOfKind('input'), ...graph.inputsOfKind('param')]) {
    if (fixed[name] !== undefined) {
      feeds[name] = fixed[name]
      continue
    }
    const data = new Float32Array(numel(value.shape))
    if (name === 'y') {
      const classes = value.shape[value.shape.length - 1]!
      for (let row = 0; row < data.length / classes; row++) data[row * classes + Math.floor(random() * classes)] = 1
    } else if (name.startsWith('adam_v')) for (let i = 0; i < data.length; i++) data[i] = random() * 0.01
    else if (name === 'step') data[0] = 1
    // Dropout masks as the session draws them: 0 or 1 / (1 − 0.5).
    else if (name.startsWith('drop/')) for (let i = 0; i < data.length; i++) data[i] = random() < 0.5 ? 0 : 2
    else if (name === 'lr') data[0] = 0.01
    else for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * 0.5
    feeds[name] = data
  }
  return feeds
}
