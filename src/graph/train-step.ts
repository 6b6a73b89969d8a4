// Builds the training-step graph: forward, cross-entropy, reverse-mode gradients and the optimiser update in
// one graph. Every "<input>" that carries state across steps has a matching "<input>:next" output, so the
// runtime can feed outputs straight back as inputs while they stay on the GPU.
import { Graph } from './graph.ts'
import { gradients } from './autodiff.ts'
import { correctCount, softmaxCrossEntropy } from './loss.ts'
import { applyUpdate, stateSlots, type OptimizerSpec } from './optimizer.ts'
import { declareParams, forwardRange, paramsOf, shapeAt, type Model } from './model.ts'
import { countFlops } from './flops.ts'

export interface TrainStep {
  graph: Graph
  batchSize: number
  /** Inputs whose values persist across steps, each paired with the output holding its next value. */
  carried: Array<{ input: string; output: string; param: string; slot: string | null }>
  flopsPerStep: number
}

export const nextName = (input: string) => `${input}:next`
export const stateName = (slot: string, param: string) => `${slot}/${param}`
export const PARAM_PREFIX = 'param/'

export function buildTrainStep(model: Model, batchSize: number, optimizer: OptimizerSpec): TrainStep {
  const g = new Graph()
  const params = declareParams(g, model, PARAM_PREFIX)
  const x = g.input('x', [batchSize, ...model.inputShape])
  const outShape = shapeAt(model, model.layers.length)
  const y = g.input('y', [batchSize, ...outShape])
  const lr = g.input('lr', [])
  const step = g.input('step', [])
  const logits = forwardRange(model, x, params)
  const loss = softmaxCrossEntropy(logits, y)
  g.output('loss', loss)
  g.output('correct', correctCount(logits, y))
  const names = paramsOf(model).map((p) => p.name)
  const grads = gradients(loss, names.map((n) => params.get(n)!))
  const slots = stateSlots(optimizer)
  const carried: TrainStep['carried'] = []
  names.forEach((name, i) => {
    const param = params.get(name)!
    const state = slots.map((slot) => g.input(stateName(slot, name), param.shape))
    const [nextParam, ...nextState] = applyUpdate(optimizer, { param, grad: grads[i]!, state, lr, step })
    const paramInput = `${PARAM_PREFIX}${name}`
    g.output(nextName(paramInput), nextParam!)
    carried.push({ input: paramInput, output: nextName(paramInput), param: name, slot: null })
    slots.forEach((slot, s) => {
      g.output(nextName(stateName(slot, name)), nextState[s]!)
      carried.push({ input: stateName(slot, name), output: nextName(stateName(slot, name)), param: name, slot })
    })
  })
  return { graph: g, batchSize, carried, flopsPerStep: countFlops(g) }
}

/** Inference graph: x → logits, with parameters as inputs (or baked in as initialisers at export). */
export function buildInference(model: Model, batchSize: number): Graph {
  const g = new Graph()
  const params = declareParams(g, model, PARAM_PREFIX)
  const x = g.input('x', [batchSize, ...model.inputShape])
  g.output('logits', forwardRange(model, x, params))
  return g
}
