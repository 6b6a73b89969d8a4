// A layer declares its parameters (shape and initialiser) and builds its forward pass on graph values.
// Backward passes are never written by hand: autodiff derives them from the ops the layer used.
import type { Value } from '../graph.ts'
import type { Shape } from '../shape.ts'

export type Init = { kind: 'uniform'; bound: number } | { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' }

export interface ParamSpec {
  name: string
  shape: Shape
  init: Init
}

export interface Layer {
  kind: string
  params: ParamSpec[]
  /** Per-sample output shape for a per-sample input shape (the batch axis is implicit). */
  outShape(inShape: Shape): Shape
  /**
   * Dropout sites: the per-sample shapes of the 0-or-1/(1−p) masks this layer multiplies in while training,
   * one per site, for a per-sample input shape. Absent: the layer has none. The masks are graph inputs
   * (graph/dropout.ts), so the same batch and step draw the same masks on every engine.
   */
  maskShapes?(inShape: Shape): Shape[]
  /** `mask(site)` is the site's mask while training, undefined otherwise (inference, export, a shard). */
  forward(x: Value, param: (name: string) => Value, mask?: (site: number) => Value | undefined): Value
}

/** He/Kaiming-uniform bound for a layer with `fanIn` inputs followed by ReLU. */
export const heUniform = (fanIn: number): Init => ({ kind: 'uniform', bound: Math.sqrt(6 / fanIn) })
