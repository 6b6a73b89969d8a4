// Many optimiser steps in one engine run: the train step becomes the body of an ONNX Loop over a stack of
// batches, with parameters and optimiser state as loop-carried values. ORT-wasm hands every output back as a
// freshly allocated JS array, and allocating megabytes per step costs more than the step's arithmetic in a
// browser; looping pays that once per run instead of once per step. With micro-batches, an inner Loop adds up
// their gradients before the update, so the sums never leave the engine either. For the wasm engine only
// (WebGPU keeps outputs resident on the GPU, and its EP runs no control flow).
import type { TrainStep } from './train-step.ts'
import { emitGraph, ONNX_BOOL, ONNX_FLOAT, ONNX_INT64, writeModel, type GraphParts, type Initializer, type NodeRecord, type ValueInfo } from './onnx/export.ts'

/** Inputs and outputs of a looped step beyond the carried buffers, lr and step (the first step's number). */
export const STACKED_X = 'xs'
export const STACKED_Y = 'ys'
export const LOSSES = 'losses'
export const CORRECTS = 'corrects'
/** The symbolic leading dimension: how many steps one run takes, set by the stack fed in. */
const STEPS_DIM = 'steps'
const STEP = 'body/'
const MICRO = 'micro/'

const int64 = (name: string, values: readonly number[], dims: readonly number[] = [values.length]): Initializer => {
  const raw = new Uint8Array(values.length * 8)
  values.forEach((v, i) => new DataView(raw.buffer).setBigInt64(i * 8, BigInt(v), true))
  return { name, dataType: ONNX_INT64, dims, raw }
}
const bool = (name: string): Initializer => ({ name, dataType: ONNX_BOOL, dims: [], raw: Uint8Array.of(1) })
const node = (opType: string, inputs: string[], outputs: string[], attributes: NodeRecord['attributes'] = {}): NodeRecord => ({ opType, inputs, outputs, attributes })
const floats = (name: string, shape: ValueInfo['shape']): ValueInfo => ({ name, dataType: ONNX_FLOAT, shape })
const loopHead = (prefix: string): ValueInfo[] => [{ name: `${prefix}i`, dataType: ONNX_INT64, shape: [] }, { name: `${prefix}cond`, dataType: ONNX_BOOL, shape: [] }]

/**
 * The per-step inputs that come a batch's rows at a time (x, y and any dropout masks), each fed stacked over the
 * steps of one run under its stacked name.
 */
export function rowInputs(step: TrainStep): string[] {
  return ['x', 'y', ...(step.dropout?.masks.map((m) => m.name) ?? [])]
}

export const stackedName = (input: string): string => (input === 'x' ? STACKED_X : input === 'y' ? STACKED_Y : `${input}/steps`)

export function exportTrainLoop(step: TrainStep): Uint8Array {
  const microBatches = step.batchSize / step.microBatch
  const shapes = new Map(step.graph.inputsOfKind('input').map(({ name, value }) => [name, value.shape]))
  const rows = rowInputs(step)
  const bucket = (b: number) => step.layout.bucketSizes[b]!
  const readsStep = step.graph.liveNodeIds().some((id) => { const n = step.graph.nodes[id]!; return n.kind === 'input' && n.name === 'step' })

  const nodes: NodeRecord[] = [
    ...rows.map((r) => node('Gather', [stackedName(r), `${STEP}i`], [`${STEP}${r}_step`], { axis: { int: 0 } })),
    ...(readsStep ? [node('Cast', [`${STEP}i`], [`${STEP}i_float`], { to: { int: ONNX_FLOAT } }), node('Add', ['step', `${STEP}i_float`], [`${STEP}step`])] : []),
  ]
  const initializers: Initializer[] = []
  const bind = new Map<string, string>([['lr', 'lr'], ['step', `${STEP}step`]])
  let loss = `${STEP}loss`
  let correct = `${STEP}correct`
  if (microBatches === 1) {
    for (const r of rows) bind.set(r, `${STEP}${r}_step`)
  } else {
    // The step's rows as [micro-batches, rows, ...]; all but the last micro-batch are summed by an inner loop,
    // the last goes through the update graph with those sums, exactly as the per-step graphs run it.
    initializers.push(int64(`${STEP}earlier`, [microBatches - 1], []), int64(`${STEP}axis0`, [0]), bool(`${STEP}keep_going`))
    for (const r of rows) {
      initializers.push(int64(`${STEP}${r}_split`, [microBatches, ...shapes.get(r)!]))
      nodes.push(node('Reshape', [`${STEP}${r}_step`, `${STEP}${r}_split`], [`${STEP}${r}_micro`]))
    }
    step.gradSums.forEach((s, b) => {
      initializers.push(int64(`${STEP}zeros_shape.${b}`, [bucket(b)]))
      nodes.push(node('Expand', [`${STEP}zero`, `${STEP}zeros_shape.${b}`], [`${STEP}zeros.${b}`]))
      bind.set(s.input, `${STEP}${s.input}`)
    })
    initializers.push({ name: `${STEP}zero`, dataType: ONNX_FLOAT, dims: [], raw: new Uint8Array(4) })
    nodes.push(
      node('Loop', [`${STEP}earlier`, `${STEP}keep_going`, ...step.gradSums.map((_, b) => `${STEP}zeros.${b}`)], [...step.gradSums.map((s) => `${STEP}${s.input}`), `${STEP}micro_losses`, `${STEP}micro_corrects`], { body: { graph: microBatchBody(step, rows, bucket) } }),
      ...rows.map((r) => node('Gather', [`${STEP}${r}_micro`, `${STEP}earlier`], [`${STEP}${r}_last`], { axis: { int: 0 } })),
    )
    for (const r of rows) bind.set(r, `${STEP}${r}_last`)
    initializers.push({ name: `${STEP}micro_count`, dataType: ONNX_FLOAT, dims: [], raw: new Uint8Array(new Float32Array([microBatches]).buffer) })
    loss = `${STEP}mean_loss`
    correct = `${STEP}total_correct`
  }
  const update = emitGraph(step.graph, { prefix: STEP, bind })
  nodes.push(...update.nodes)
  initializers.push(...update.initializers)
  if (microBatches > 1) {
    nodes.push(
      node('ReduceSum', [`${STEP}micro_losses`, `${STEP}axis0`], [`${STEP}earlier_loss`], { keepdims: { int: 0 } }),
      node('Add', [`${STEP}earlier_loss`, `${STEP}loss`], [`${STEP}loss_sum`]),
      node('Div', [`${STEP}loss_sum`, `${STEP}micro_count`], [loss]),
      node('ReduceSum', [`${STEP}micro_corrects`, `${STEP}axis0`], [`${STEP}earlier_correct`], { keepdims: { int: 0 } }),
      node('Add', [`${STEP}earlier_correct`, `${STEP}correct`], [correct]),
    )
  }
  nodes.push(node('Identity', [`${STEP}cond`], [`${STEP}cond:next`]))
  const body: GraphParts = {
    name: 'train_step',
    nodes,
    initializers,
    inputs: [...loopHead(STEP), ...step.carried.map((c) => floats(`${STEP}${c.input}`, [bucket(c.bucket)]))],
    outputs: [{ name: `${STEP}cond:next`, dataType: ONNX_BOOL, shape: [] }, ...step.carried.map((c) => floats(`${STEP}${c.output}`, [bucket(c.bucket)])), floats(loss, []), floats(correct, [])],
  }

  return writeModel({
    name: 'train_steps',
    nodes: [
      node('Shape', [STACKED_X], ['xs_shape']),
      node('Gather', ['xs_shape', 'axis_0'], ['trip_count'], { axis: { int: 0 } }),
      node('Loop', ['trip_count', 'keep_going', ...step.carried.map((c) => c.input)], [...step.carried.map((c) => c.output), LOSSES, CORRECTS], { body: { graph: body } }),
    ],
    initializers: [int64('axis_0', [0], []), bool('keep_going')],
    inputs: [
      ...step.carried.map((c) => floats(c.input, [bucket(c.bucket)])),
      ...rows.map((r) => { const micro = shapes.get(r)!; return floats(stackedName(r), [STEPS_DIM, microBatches * micro[0]!, ...micro.slice(1)]) }),
      floats('lr', []),
      ...(readsStep ? [floats('step', [])] : []),
    ],
    outputs: [...step.carried.map((c) => floats(c.output, [bucket(c.bucket)])), floats(LOSSES, [STEPS_DIM]), floats(CORRECTS, [STEPS_DIM])],
  })
}

/** The inner loop: one micro-batch's gradients added to the running sums (the accumulate graph). */
function microBatchBody(step: TrainStep, rows: readonly string[], bucket: (b: number) => number): GraphParts {
  const params = new Map(step.carried.filter((c) => c.slot === null).map((c) => [c.input, `${STEP}${c.input}`]))
  const inner = emitGraph(step.accumulate!, { prefix: MICRO, bind: new Map([...params, ...rows.map((r) => [r, `${MICRO}${r}`] as const)]) })
  return {
    name: 'accumulate_gradients',
    nodes: [
      ...rows.map((r) => node('Gather', [`${STEP}${r}_micro`, `${MICRO}i`], [`${MICRO}${r}`], { axis: { int: 0 } })),
      ...inner.nodes,
      node('Identity', [`${MICRO}cond`], [`${MICRO}cond:next`]),
    ],
    initializers: inner.initializers,
    inputs: [...loopHead(MICRO), ...step.gradSums.map((s, b) => floats(`${MICRO}${s.input}`, [bucket(b)]))],
    outputs: [{ name: `${MICRO}cond:next`, dataType: ONNX_BOOL, shape: [] }, ...step.gradSums.map((s, b) => floats(`${MICRO}${s.output}`, [bucket(b)])), floats(`${MICRO}loss`, []), floats(`${MICRO}correct`, [])],
  }
}
