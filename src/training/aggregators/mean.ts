// The plain average of the accepted deltas: no protection beyond what verification already gave, and the
// baseline the robust rules are compared with.
import { addScaled } from './centred-clip.ts'
import type { AggregatorRule } from './index.ts'

export const mean: AggregatorRule = {
  description: 'plain average of the accepted deltas',
  streaming: true,
  begin({ dim }) {
    const acc = new Float32Array(dim)
    let count = 0
    return {
      add(q) {
        addScaled(acc, q, 1)
        count++
      },
      result: () => (count === 0 ? acc : acc.map((x) => x / count)),
    }
  },
}
