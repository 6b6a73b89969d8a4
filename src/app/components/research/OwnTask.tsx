// The job's task from the owner's own data: a table (with the column to predict), a text, or a folder of
// pictures in class folders; the model from a few choices, with its parameters, FLOPs and memory per tab;
// the choices saved and loaded as a JSON file. The rules are task-draft.ts's, run as the owner types.
import { useEffect, useMemo, useState } from 'react'
import { Field } from '../Field.tsx'
import { errorMessage } from '../../../errors.ts'
import { buildTaskJob, readOwnFile, type OwnData, type TaskChoices, type TaskJob } from '../../../training/task-draft.ts'
import { microBatchOf } from '../../../training/stage-draft.ts'
import { decodeModelSpec, type ModelSpec } from '../../../graph/model-spec.ts'
import { describeTask } from '../../../data/task.ts'
import { decodePicture } from '../../decode-picture.ts'
import { readExportedModel, type ExportedModel } from '../../../graph/onnx/import-model.ts'
import type { FineTuneMode } from '../../../graph/fine-tune.ts'

/** Pictures from a folder pick: each file's class is the folder it sits in. */
async function readPictures(files: readonly File[]): Promise<OwnData> {
  const pictures = []
  for (const file of files) {
    if (!/\.(png|jpe?g|gif|webp|bmp)$/i.test(file.name)) continue
    const parts = (file.webkitRelativePath || file.name).split('/')
    if (parts.length < 2) throw new Error(`${file.name} is not inside a class folder: choose a folder holding one folder per class`)
    try {
      pictures.push({ file: file.name, className: parts.at(-2)!, image: await decodePicture(file) })
    } catch (error) {
      throw new Error(`${parts.join('/')} could not be decoded as a picture: ${errorMessage(error)}`, { cause: error })
    }
  }
  if (pictures.length === 0) throw new Error('the folder holds no pictures (.png, .jpg, .gif, .webp, .bmp)')
  return { kind: 'images', pictures }
}

const DEFAULT_MODELS: Record<OwnData['kind'], ModelSpec> = {
  table: { kind: 'mlp', hidden: [64, 32] },
  text: { kind: 'transformer', layers: 2, width: 64, heads: 4 },
  images: { kind: 'cnn', channels: [8, 16], dense: 32 },
}

const sizes = (text: string) => text.split(/[\s,]+/).filter(Boolean).map(Number)
const si = (x: number) => (x >= 1e9 ? `${(x / 1e9).toFixed(2)} G` : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : `${x} `)


export function OwnTask({ batchSize, onChange }: { batchSize: number; onChange: (job: TaskJob | null) => void }) {
  const [data, setData] = useState<OwnData | null>(null)
  const [readError, setReadError] = useState<string | null>(null)
  const [choices, setChoices] = useState<Omit<TaskChoices, 'model' | 'microBatch'>>({})
  const [model, setModel] = useState<ModelSpec | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  // A job may start from a model Tesserae exported: continued as it is, or a new head on its body.
  const [start, setStart] = useState<{ file: ExportedModel; mode: FineTuneMode } | null>(null)
  const [startError, setStartError] = useState<string | null>(null)
  // Remounts the model's text fields when a new file or a loaded spec replaces what they show.
  const [version, setVersion] = useState(0)
  const spec = model ?? (data ? DEFAULT_MODELS[data.kind] : null)
  const built = useMemo(() => {
    if (!data || !spec) return null
    try {
      return { job: buildTaskJob(data, { ...choices, model: spec, microBatch: microBatchOf(batchSize), ...(start ? { start } : {}) }), error: null }
    } catch (error) {
      return { job: null, error: errorMessage(error) }
    }
  }, [data, choices, spec, batchSize, start])
  useEffect(() => onChange(built?.job ?? null), [built, onChange])

  const pickFile = async (files: FileList | null) => {
    const file = files?.[0]
    if (!file) return
    setReadError(null)
    try {
      const read = readOwnFile({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })
      setData(read)
      setModel(null)
      setVersion((v) => v + 1)
      setChoices(read.kind === 'table' ? { label: read.columns.at(-1)?.name } : {})
    } catch (error) {
      setData(null)
      setReadError(errorMessage(error))
    }
  }
  const pickFolder = async (files: FileList | null) => {
    if (!files?.length) return
    setReadError(null)
    try {
      setData(await readPictures([...files]))
      setModel(null)
      setVersion((v) => v + 1)
      setChoices({ height: 32, width: 32, channels: 3, fit: 'crop' })
    } catch (error) {
      setData(null)
      setReadError(errorMessage(error))
    }
  }
  const loadSpec = async (files: FileList | null) => {
    const file = files?.[0]
    if (!file) return
    try {
      setModel(decodeModelSpec(JSON.parse(await file.text())))
      setVersion((v) => v + 1)
      setLoadError(null)
    } catch (error) {
      setLoadError(`${file.name}: ${errorMessage(error)}`)
    }
  }
  const pickStart = async (files: FileList | null) => {
    const file = files?.[0]
    if (!file) return
    try {
      setStart({ file: readExportedModel(new Uint8Array(await file.arrayBuffer()), file.name), mode: 'continue' })
      setStartError(null)
    } catch (error) {
      setStart(null)
      setStartError(errorMessage(error))
    }
  }
  const saveSpec = () => {
    if (!spec) return
    const url = URL.createObjectURL(new Blob([JSON.stringify(spec, null, 2)], { type: 'application/json' }))
    const a = document.createElement('a')
    a.href = url
    a.download = `model-${spec.kind}.json`
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }
  const setSpec = (patch: Partial<Record<string, number | number[]>>) => spec && setModel({ ...spec, ...patch } as ModelSpec)
  const number = (id: string, label: string, value: number | undefined, change: (n: number) => void) => (
    <Field id={`own-${id}`} label={label}>
      {(a11y) => <input {...a11y} type="number" value={value ?? ''} onChange={(e) => change(Number(e.target.value))} />}
    </Field>
  )

  return (
    <fieldset className="field" data-testid="own-task">
      <legend>Your data</legend>
      <div className="field-grid">
        <Field id="own-file" label="A table or a text" hint="CSV, TSV or JSONL with named columns; plain text or JSONL of {&quot;text&quot;: …}">
          {(a11y) => <input {...a11y} type="file" accept=".csv,.tsv,.jsonl,.txt" onChange={(e) => void pickFile(e.target.files)} data-testid="own-file" />}
        </Field>
        <Field id="own-folder" label="Or a folder of pictures" hint="one folder per class, named as the class">
          {(a11y) => <input {...a11y} type="file" {...{ webkitdirectory: '' }} multiple onChange={(e) => void pickFolder(e.target.files)} data-testid="own-folder" />}
        </Field>
      </div>
      {readError && <p className="field-error" role="alert" data-testid="own-error">{readError}</p>}
      {data?.kind === 'table' && (
        <div className="field-grid">
          <Field id="own-label" label="Column to predict">
            {(a11y) => (
              <select {...a11y} value={choices.label ?? ''} onChange={(e) => setChoices({ ...choices, label: e.target.value })} data-testid="own-label">
                {data.columns.map((c) => <option key={c.name} value={c.name}>{c.name} ({c.numeric ? 'numbers' : 'text'}, {c.distinct.length > 256 ? 'many' : c.distinct.length} values{c.missing ? `, ${c.missing} missing` : ''})</option>)}
              </select>
            )}
          </Field>
          <Field id="own-target" label="Predict">
            {(a11y) => (
              <select {...a11y} value={choices.target ?? ''} onChange={(e) => setChoices({ ...choices, target: (e.target.value || undefined) as TaskChoices['target'] })}>
                <option value="">as the column suggests</option>
                <option value="classification">a class</option>
                <option value="regression">a number</option>
              </select>
            )}
          </Field>
        </div>
      )}
      {data?.kind === 'text' && (
        <div className="field-grid">
          <Field id="own-tokens" label="Tokens">
            {(a11y) => (
              <select {...a11y} value={choices.tokens ?? 'characters'} onChange={(e) => setChoices({ ...choices, tokens: e.target.value as 'characters' | 'bytes' })}>
                <option value="characters">characters</option>
                <option value="bytes">UTF-8 bytes</option>
              </select>
            )}
          </Field>
          {number('vocab', 'Vocabulary (characters)', choices.vocab ?? 96, (vocab) => setChoices({ ...choices, vocab }))}
          {number('context', 'Context (tokens)', choices.context ?? 64, (context) => setChoices({ ...choices, context }))}
        </div>
      )}
      {data?.kind === 'images' && (
        <div className="field-grid">
          {number('height', 'Height (pixels)', choices.height, (height) => setChoices({ ...choices, height }))}
          {number('width', 'Width (pixels)', choices.width, (width) => setChoices({ ...choices, width }))}
          <Field id="own-channels" label="Colour">
            {(a11y) => (
              <select {...a11y} value={choices.channels ?? 3} onChange={(e) => setChoices({ ...choices, channels: Number(e.target.value) as 1 | 3 })}>
                <option value={3}>RGB</option>
                <option value={1}>grayscale</option>
              </select>
            )}
          </Field>
          <Field id="own-fit" label="Pictures of another shape are">
            {(a11y) => (
              <select {...a11y} value={choices.fit ?? 'crop'} onChange={(e) => setChoices({ ...choices, fit: e.target.value as TaskChoices['fit'] })}>
                <option value="crop">cropped to the centre</option>
                <option value="pad">padded with black</option>
                <option value="stretch">stretched</option>
              </select>
            )}
          </Field>
        </div>
      )}
      <div className="field-grid">
        <Field id="own-start" label="Start from a trained model (optional)" hint="an ONNX file exported from a Tesserae job's dashboard">
          {(a11y) => <input {...a11y} type="file" accept=".onnx" onChange={(e) => void pickStart(e.target.files)} data-testid="own-start" />}
        </Field>
        {start && (
          <Field id="own-start-mode" label="How">
            {(a11y) => (
              <select {...a11y} value={start.mode} onChange={(e) => setStart({ ...start, mode: e.target.value as FineTuneMode })} data-testid="own-start-mode">
                <option value="continue">continue training it (same outputs)</option>
                <option value="new-head-frozen">a new head on its body, the body frozen</option>
                <option value="new-head-slow">a new head on its body, the body at a tenth of the learning rate</option>
              </select>
            )}
          </Field>
        )}
      </div>
      {startError && <p className="field-error" role="alert" data-testid="own-start-error">{startError}</p>}
      {start && (
        <p className="hint" data-testid="own-start-summary">
          Starts from "{start.file.job.name}" version {start.file.job.version} ({start.file.recipe.spec.kind}, {start.file.recipe.outputs} {start.file.recipe.objective}): the model below is the file's.{' '}
          <button type="button" className="secondary" onClick={() => setStart(null)}>Start from scratch instead</button>
        </p>
      )}
      {spec && !start && (
        <div className="field-grid" data-testid="own-model" key={version}>
          {spec.kind === 'mlp' && (
            <Field id="own-hidden" label="MLP hidden widths" hint="e.g. 64, 32; empty for a linear model">
              {(a11y) => <input {...a11y} type="text" defaultValue={spec.hidden.join(', ')} onChange={(e) => setSpec({ hidden: sizes(e.target.value) })} />}
            </Field>
          )}
          {spec.kind === 'cnn' && (
            <>
              <Field id="own-channels-per-block" label="CNN channels per block" hint="each block: 3×3 convolution, ReLU, 2×2 max-pool">
                {(a11y) => <input {...a11y} type="text" defaultValue={spec.channels.join(', ')} onChange={(e) => setSpec({ channels: sizes(e.target.value) })} />}
              </Field>
              {number('dense', 'Dense width', spec.dense, (dense) => setSpec({ dense }))}
            </>
          )}
          {spec.kind === 'transformer' && (
            <>
              {number('layers', 'Layers', spec.layers, (layers) => setSpec({ layers }))}
              {number('width', 'Width', spec.width, (width) => setSpec({ width }))}
              {number('heads', 'Heads', spec.heads, (heads) => setSpec({ heads }))}
            </>
          )}
          <Field id="own-dropout" label="Dropout" hint="share of activations dropped while training, 0 to 0.8: against overfitting a small dataset">
            {(a11y) => (
              <input
                {...a11y}
                type="number"
                min={0}
                max={0.8}
                step={0.05}
                value={spec.dropout ?? 0}
                onChange={(e) => {
                  // A rate of 0 leaves the key out, as a decoded spec does: the recipe is the one without dropout.
                  const rate = Number(e.target.value)
                  const rest = { ...spec }
                  delete rest.dropout
                  setModel(rate === 0 ? rest : { ...rest, dropout: rate })
                }}
              />
            )}
          </Field>
          {data?.kind === 'images' && (
            <Field id="own-family" label="Model family">
              {(a11y) => (
                <select {...a11y} value={spec.kind} onChange={(e) => setModel({ ...(e.target.value === 'mlp' ? { kind: 'mlp', hidden: [64] } : DEFAULT_MODELS.images), ...(spec.dropout ? { dropout: spec.dropout } : {}) })}>
                  <option value="cnn">CNN</option>
                  <option value="mlp">MLP</option>
                </select>
              )}
            </Field>
          )}
          <span className="toolbar">
            <button type="button" onClick={saveSpec}>Save the model spec</button>
            <label className="button">Load a model spec <input type="file" accept=".json,application/json" hidden onChange={(e) => void loadSpec(e.target.files)} data-testid="own-load-spec" /></label>
          </span>
        </div>
      )}
      {loadError && <p className="field-error" role="alert">{loadError}</p>}
      {built?.error && <p className="field-error" role="status" data-testid="own-problem">{built.error}</p>}
      {built?.job && (
        <p className="hint" data-testid="own-summary" data-parameters={built.job.cost.parameters}>
          {describeTask(built.job.task)}: {built.job.train.count.toLocaleString('en')} samples to train on, {built.job.test.count.toLocaleString('en')} held out to score the job. The model has {built.job.cost.parameters.toLocaleString('en')} parameters, costs {si(built.job.cost.flopsPerSample)}FLOP per training sample and about {(built.job.cost.bytesPerTab / 2 ** 20).toFixed(0)} MiB per tab at {built.job.cost.batch} rows at a time{spec?.dropout ? `, and trains with dropout ${spec.dropout}` : ''}.
        </p>
      )}
    </fieldset>
  )
}
