// `npm run train:swarm -- --file text/devils-dictionary.txt …`: trains an owner's own task for as long as it
// takes, in a real swarm on this machine: a relay and the job's coordinator (with its referee auditing units) in
// this process, and each volunteer in a process of its own (one wasm thread each), all over loopback WebSockets
// with the same code a tab runs. Prints the held-out loss (bits per character for text) after every round and,
// for text, what the model writes; writes the run to --out. The coordinator keeps its job and checkpoint in
// --dir, so a stopped run resumes where it left off. Tests cannot train for an hour; this is how the README's
// long-run figures are made. With --relay (and --webrtc) the coordinator joins a stack's relay instead of
// starting its own, so a browser tab can volunteer too: `npm run train:tab` runs this inside the e2e harness with
// a Chromium tab donating to the job (`e2e/long/tab-swarm.long.ts`).
import { SPEC_LIMITS } from '../src/graph/model-spec.ts'
import { parseArgs } from 'node:util'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-web'
import { createRelayNode, relayAddrs } from '../src/p2p/relay-node.ts'
import { startHeadlessCoordinator, startHeadlessVolunteer } from './swarm/headless.ts'
import { ownTaskData, readOwnFile } from '../src/training/task-draft.ts'
import { readSharedFile } from '../src/data/testing/shared-files.ts'
import { taskInput, taskOutputs } from '../src/data/task.ts'
import { recipeModel, type ModelRecipe } from '../src/graph/model-recipe.ts'
import { parameterCount } from '../src/graph/model.ts'
import { paramLayout, unflatten } from '../src/training/vector.ts'
import { generateTokens } from '../src/compute/generate.ts'
import { sampleText } from '../src/data/sample-format.ts'
import type { RoundReport } from '../src/training/coordinator-state.ts'

const { values } = parseArgs({
  options: {
    volunteer: { type: 'boolean', default: false },
    relay: { type: 'string', multiple: true },
    job: { type: 'string' },
    file: { type: 'string', default: 'text/devils-dictionary.txt' },
    label: { type: 'string' },
    vocab: { type: 'string', default: '96' },
    context: { type: 'string', default: '64' },
    layers: { type: 'string', default: '4' },
    width: { type: 'string', default: '128' },
    heads: { type: 'string', default: '4' },
    widths: { type: 'string', default: '128,64' },
    dropout: { type: 'string', default: '0' },
    volunteers: { type: 'string', default: '2' },
    units: { type: 'string' },
    webrtc: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '30' },
    batch: { type: 'string', default: '32' },
    'inner-steps': { type: 'string', default: '100' },
    lr: { type: 'string', default: '2e-3' },
    'lr-final': { type: 'string' },
    // The round the cosine starts from (0: the job's first). Given with more --rounds to a job that finished,
    // a warm restart: the rate rises to --lr again and falls to --lr-final over the rounds added.
    'cosine-from': { type: 'string', default: '0' },
    'outer-lr': { type: 'string', default: '0.7' },
    'audit-rate': { type: 'string', default: '0.25' },
    // Samples per data shard, and so per unit (a unit trains on one shard): a small text in small shards has
    // each unit go over the same few windows several times.
    'shard-size': { type: 'string', default: '512' },
    dir: { type: 'string' },
    out: { type: 'string' },
  },
})

const int = (name: keyof typeof values): number => {
  const v = Number(values[name])
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} takes a positive whole number, not "${String(values[name])}"`)
  return v
}
const positive = (name: keyof typeof values): number => {
  const v = Number(values[name])
  if (!(v > 0)) throw new Error(`--${name} takes a positive number, not "${String(values[name])}"`)
  return v
}

if (values.volunteer) await volunteer()
else await coordinate()

/** A volunteer process: joins the job through the relay and trains until its parent ends it. */
async function volunteer(): Promise<void> {
  if (!values.relay?.length || !values.job) throw new Error('a volunteer needs --relay and --job')
  const peer = await startHeadlessVolunteer({ relayAddrs: values.relay, dataDir: null, jobId: values.job, log: () => {} })
  const stop = () => void peer.stop().finally(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('disconnect', stop)
}

async function coordinate(): Promise<void> {
  // Read as an owner's file is: the app's own rules decide whether it is a text or a table.
  const own = readOwnFile({ name: values.file!, bytes: await readSharedFile(values.file!) })
  if (own.kind === 'table' && !values.label) throw new Error(`${values.file} is a table: name the column to predict with --label`)
  const data = ownTaskData(own, own.kind === 'text' ? { tokens: 'characters', vocab: int('vocab'), context: int('context') } : { label: values.label })
  const rate = Number(values.dropout)
  if (!(rate >= 0 && rate <= SPEC_LIMITS.dropout)) throw new Error(`--dropout takes a rate from 0 to ${SPEC_LIMITS.dropout}, not "${values.dropout}"`)
  const dropout = rate > 0 ? { dropout: rate } : {}
  const spec: ModelRecipe['spec'] = data.task.kind === 'text'
    ? { kind: 'transformer', layers: int('layers'), width: int('width'), heads: int('heads'), ...dropout }
    : { kind: 'mlp', hidden: values.widths!.split(',').map(Number), ...dropout }
  const recipe: ModelRecipe = { spec, input: taskInput(data.task), ...taskOutputs(data.task) }
  const model = recipeModel(recipe)
  const unit = data.task.kind === 'text' ? 'bits/char' : 'accuracy'
  console.info(`${values.file}: ${data.train.count} training and ${data.test.count} held-out samples; ${JSON.stringify(spec)}, ${parameterCount(model).toLocaleString('en')} parameters`)

  // A stack's relay when given one (a tab can reach it), else one of our own on loopback.
  const relay = values.relay?.length ? null : await createRelayNode({ host: '127.0.0.1', port: 0 })
  const relayList = relay ? relayAddrs(relay) : values.relay!
  // 0 when every volunteer is a tab (`npm run train:tab`): the job's units then wait for the tabs.
  const nodeVolunteers = values.volunteers === '0' ? 0 : int('volunteers')
  if (nodeVolunteers === 0 && values.units === undefined) throw new Error('with --volunteers 0 (tabs only), name the units a round hands out with --units')
  // --lr-final: the owner lowers the inner learning rate along a cosine from --lr, from round --cosine-from to
  // the job's last, as job changes at round boundaries (a round already handed out keeps its rate).
  const cosineFrom = Number(values['cosine-from'])
  if (!(Number.isInteger(cosineFrom) && cosineFrom >= 0 && cosineFrom < int('rounds'))) throw new Error(`--cosine-from takes a round from 0 to --rounds − 1, not "${values['cosine-from']}"`)
  if (cosineFrom > 0 && values['lr-final'] === undefined) throw new Error('--cosine-from starts a cosine: give its end with --lr-final')
  const lrAt = (round: number): number => {
    if (values['lr-final'] === undefined) return positive('lr')
    const [from, to, rounds] = [positive('lr'), positive('lr-final'), int('rounds')]
    const progress = Math.max(0, Math.min(round, rounds) - cosineFrom) / (rounds - cosineFrom)
    return to + 0.5 * (from - to) * (1 + Math.cos(Math.PI * progress))
  }
  // The job's hyper-parameters this run asks for from `round` on: a new job's, or the owner's change to a resumed one.
  const hyper = (round: number) => ({ innerSteps: int('inner-steps'), innerLr: lrAt(round), outerLr: positive('outer-lr'), unitsPerRound: values.units === undefined ? nodeVolunteers : int('units'), auditRate: Number(values['audit-rate']), rounds: int('rounds') })
  const coordinator = await startHeadlessCoordinator({
    relayAddrs: relayList,
    dataDir: values.dir ?? null,
    host: '127.0.0.1',
    webrtc: values.webrtc,
    train: data.train,
    test: data.test,
    task: { task: data.task, recipe },
    shardSize: int('shard-size'),
    evalLimit: data.test.count,
    overrides: {
      id: `train-swarm-${Date.now().toString(36)}`,
      name: `${values.file} (train:swarm)`,
      batchSize: int('batch'),
      ...hyper(0),
      roundMs: 30 * 60_000,
    },
    // Only why a volunteer's evidence could not be fetched: the rest is in the per-round lines.
    log: (line) => {
      if (line.startsWith('checkpoint ')) console.info(line)
    },
  })
  console.info(`job ${coordinator.job.id}`)
  // Resumed from --dir: the job kept there is the one trained, and this run's hyper-parameters are the owner's
  // change to it from the next round on (recorded as any owner's change is), not silently ignored. A job that
  // had finished and is given more rounds goes on at once, from the round planned at its finish: the cosine's
  // rate for that round, so a warm restart starts at its peak.
  const kept = coordinator.coordinator.pendingJob ?? coordinator.coordinator.job
  const asked = hyper(coordinator.coordinator.view.history.length + (coordinator.coordinator.view.finished ? 0 : 1))
  const changed = (Object.keys(asked) as Array<keyof typeof asked>).filter((k) => kept[k] !== asked[k])
  if (changed.length > 0) {
    await coordinator.coordinator.scheduleJobChange({ ...kept, ...Object.fromEntries(changed.map((k) => [k, asked[k]])) })
    console.info(`resumed with ${changed.map((k) => `${k} ${kept[k]} → ${asked[k]}`).join(', ')} from ${coordinator.coordinator.pendingJob ? 'the next round' : 'this round'}`)
  }
  const children: ChildProcess[] = []
  const script = fileURLToPath(import.meta.url)
  for (let i = 0; i < nodeVolunteers; i++) {
    const args = [script, '--volunteer', '--job', coordinator.job.id, ...relayList.flatMap((a) => ['--relay', a])]
    children.push(spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  }
  // After `closed` rounds, the rate for the round after the one in progress.
  const decayLr = async (closed: number) => {
    await coordinator.coordinator.scheduleJobChange({ ...(coordinator.coordinator.pendingJob ?? coordinator.coordinator.job), innerLr: lrAt(closed + 1) })
  }
  const started = Date.now()
  const view = () => coordinator.coordinator.view
  const score = (r: RoundReport) => (data.task.kind === 'text' ? r.testLoss! / Math.LN2 : r.testAccuracy!)
  let printed = view().history.length
  let samples = view().history.reduce((n, r) => n + r.samples, 0)
  if (printed > 0 && values['lr-final'] !== undefined) await decayLr(printed)
  try {
    while (!view().finished) {
      await new Promise((r) => setTimeout(r, 1000))
      for (const r of view().history.slice(printed)) {
        samples += r.samples
        const tokens = data.task.kind === 'text' ? ` (${((samples * data.task.schema.context) / 1e6).toFixed(2)}M tokens)` : ''
        const why = r.rejections.map((x) => `${x.code}${Object.keys(x.params).length ? ` ${JSON.stringify(x.params)}` : ''}`)
        console.info(`round ${r.round}: held-out ${unit} ${score(r).toFixed(3)}, lr now ${coordinator.coordinator.job.innerLr.toPrecision(3)}, train loss ${r.meanLossAfter.toFixed(3)}, ${r.accepted} units accepted, ${r.rejected} rejected${why.length ? ` (${why.join('; ')})` : ''}, ${samples} samples${tokens}, ${((Date.now() - started) / 60_000).toFixed(1)} min`)
      }
      if (view().history.length > printed && values['lr-final'] !== undefined) await decayLr(view().history.length)
      printed = view().history.length
    }
    const history = view().history
    let written: string | undefined
    if (data.task.kind === 'text') {
      const params = unflatten(paramLayout(model), coordinator.coordinator.currentParams)
      const prompt = data.test.x.subarray(0, data.task.schema.context)
      const tokens = await generateTokens(ort, model, params, { prompt, length: 400, temperature: 0.8, seed: 1 })
      const format = { kind: 'text' as const, schema: data.task.schema }
      written = `${sampleText(format, prompt)} ⟶ ${sampleText(format, tokens)}`
      console.info(`the model writes: ${written}`)
    }
    const peers = Object.fromEntries(Object.entries(view().peers).map(([id, p]) => [id, { accepted: p.accepted, rejected: p.rejected, banned: p.banned, backend: p.backend, samplesPerSecond: p.samplesPerSecond }]))
    for (const [id, p] of Object.entries(peers)) console.info(`peer ${id}: ${p.accepted} units accepted, ${p.rejected} rejected${p.banned ? ', banned' : ''} (${p.backend ?? 'no backend reported'})`)
    const result = { file: values.file, spec, parameters: parameterCount(model), job: coordinator.job, peers, rounds: history.map((r) => ({ round: r.round, [unit]: score(r), trainLoss: r.meanLossAfter, samples: r.samples, accepted: r.accepted, rejected: r.rejected, closedAtMs: r.closedAtMs })), minutes: (Date.now() - started) / 60_000, written }
    if (values.out) {
      await mkdir(dirname(values.out), { recursive: true })
      await writeFile(values.out, JSON.stringify(result, null, 2) + '\n')
    }
  } catch (error) {
    console.error(error)
    process.exitCode = 1
  } finally {
    for (const c of children) c.kill('SIGTERM')
    // After a 26-minute run with a tab, the coordinator's stop once hung for minutes (cause not found yet): the
    // run's results are written by now, so a stop that takes over 30 s is reported and the process ends anyway.
    const stopped = Promise.all([coordinator.stop(), relay?.stop()])
    const late = await Promise.race([stopped.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 30_000).unref())])
    if (late) console.warn('the coordinator did not stop within 30 s; exiting without waiting for it')
    process.exit(process.exitCode ?? 0)
  }
}
