// A job's shard as samples of its task. Blocks written since tasks are TSB2 (task-block.ts); a TSH1 shard, the
// format of jobs and datasets from before tasks, still decodes for a grayscale image task of its size and
// classes, so jobs announced then keep training.
import { DataFormatError } from './errors.ts'
import { decodeShard } from './shard-block.ts'
import { decodeBlock, type TaskBlock } from './task-block.ts'
import type { TaskSpec } from './task.ts'

const TSH1 = 0x31485354

export function decodeTaskShard(bytes: Uint8Array, task: TaskSpec, name = 'shard'): TaskBlock {
  const magic = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) : 0
  if (magic !== TSH1) return decodeBlock(bytes, task, name)
  const images = decodeShard(bytes, name)
  if (task.kind !== 'image' || task.channels !== 1) throw new DataFormatError(name, `holds grayscale images; this job's samples are ${task.kind === 'image' ? 'RGB images' : task.kind === 'text' ? 'text' : 'table rows'}`)
  if (images.height !== task.height || images.width !== task.width || images.classes !== task.classes.length) {
    throw new DataFormatError(name, `holds ${images.height}×${images.width} images of ${images.classes} classes; this job's are ${task.height}×${task.width} with ${task.classes.length}`)
  }
  return { count: images.count, perSample: images.height * images.width, x: images.pixels, y: images.labels }
}
