// The Contribute page's state: the samples being reviewed (imported in a worker), the saved datasets in
// IndexedDB, the jobs heard on gossip, and the actions that move data between them.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { buildDataset, buildTaskDataset, samplesFromChunks, taskSamplesFromChunks, type DatasetInfo } from '../../data/build-dataset.ts'
import { deleteDataset, listDatasets, loadChunks, recordOffer, saveDataset, type StoredDataset } from '../../data/dataset-store.ts'
import { findDuplicates } from '../../data/duplicates.ts'
import { datasetId, MANIFEST_FORMAT, manifestFormat } from '../../data/manifest.ts'
import { sameFormat, sampleFormat, type SampleFormat } from '../../data/sample-format.ts'
import { appendTaskSamples, relabelTaskSamples, removeTaskSamples, type TaskSamples } from '../../data/task-sample-set.ts'
import type { TaskSpec } from '../../data/task.ts'
import { jobTask } from '../../training/job.ts'
import { appendSamples, FASHION_MNIST_SHAPE, relabel, removeSamples, type SampleSet, type SampleShape } from '../../data/samples.ts'
import { MODEL_ZOO } from '../../graph/zoo.ts'
import { signManifest } from '../../p2p/manifest-signature.ts'
import { offerDataset } from '../../roles/contributor.ts'
import type { HeardJob } from '../../roles/job-feed.ts'
import { useJobFeed } from './useJobFeed.ts'
import { errorMessage, TesseraeError } from '../../errors.ts'
import { estimateStoredBytes } from '../../data/import-files.ts'
import { ImportClient } from '../import-client.ts'
import type { Picked } from '../dropped-files.ts'
import { requestPersistence, storageBudget, formatBytes, type StorageBudget } from '../storage-quota.ts'
import type { TabPeer } from './useSwarm.ts'

export function jobShape(job: HeardJob['announcement']['job']): SampleShape {
  const [height, width] = MODEL_ZOO[job.model]().inputShape.slice(-2) as [number, number]
  return { height, width, classes: job.classes }
}

export interface ImportProgress {
  done: number
  total: number
  file: string
}

export function useContribute(peer: TabPeer | null) {
  const jobs = useJobFeed(peer)
  const [targetJobId, setTargetJobId] = useState<string | null>(null)
  const [samples, setSamples] = useState<SampleSet | null>(null)
  /** Samples under review for a job with its own task (any picture size and channels, table rows, text). */
  const [taskSamples, setTaskSamples] = useState<TaskSamples | null>(null)
  const [progress, setProgress] = useState<ImportProgress | null>(null)
  const [notice, setNotice] = useState<{ kind: 'error' | 'info'; text: string } | null>(null)
  const [datasets, setDatasets] = useState<StoredDataset[]>([])
  const [budget, setBudget] = useState<StorageBudget | null>(null)
  const [served, setServed] = useState(0)
  const [busy, setBusy] = useState<string | null>(null)
  const importer = useRef(new ImportClient())

  useEffect(() => {
    if (!peer) return
    const timer = setInterval(() => setServed(peer.blocks.served), 1000)
    return () => clearInterval(timer)
  }, [peer])

  const refresh = useCallback(async () => {
    setDatasets(await listDatasets())
    setBudget(await storageBudget())
  }, [])
  useEffect(() => {
    queueMicrotask(() => void refresh())
  }, [refresh])

  const target = jobs.find((j) => j.announcement.job.id === targetJobId) ?? jobs[0] ?? null
  const shape = samples?.shape ?? (target ? jobShape(target.announcement.job) : FASHION_MNIST_SHAPE)
  // A job announced with its own task takes samples of its format; older jobs take grayscale sample sets.
  const task: TaskSpec | null = target?.announcement.job.task ? jobTask(target.announcement.job) : null
  const format: SampleFormat | null = taskSamples?.format ?? (task ? sampleFormat(task) : null)
  const duplicates = useMemo(() => (samples ? findDuplicates(samples) : null), [samples])

  const importPicked = useCallback(
    async (picked: Picked, invert: boolean) => {
      if (importer.current.busy) return setNotice({ kind: 'error', text: 'Another import is still running; wait for it to finish or cancel it.' })
      // Storage is checked before anything is read: an import that cannot be saved is not worth starting.
      const budget = await storageBudget()
      setBudget(budget)
      const need = estimateStoredBytes(picked.files.map((f) => ({ path: f.path, size: f.file.size })), format?.kind === 'image' ? format.channels * format.height * format.width : shape.height * shape.width)
      if (budget && budget.quota - budget.usage < need) return setNotice({ kind: 'error', text: `These files need about ${formatBytes(need)} of browser storage but only ${formatBytes(budget.quota - budget.usage)} is free; nothing was imported. Free space or delete a saved dataset.` })
      if (budget && !budget.persisted) void requestPersistence().then(() => storageBudget().then(setBudget))
      setNotice(null)
      setProgress({ done: 0, total: picked.files.length, file: '' })
      try {
        const onProgress = (done: number, total: number, file: string) => setProgress({ done, total, file })
        let result: { samples: { count: number }; skipped: string[] }
        if (task && format) {
          const imported = await importer.current.runTask(picked.files, picked.folders, format, task.kind === 'image' ? task.fit : 'stretch', onProgress)
          setTaskSamples((current) => (current ? appendTaskSamples(current, imported.samples) : imported.samples))
          result = { samples: { count: imported.samples.block.count }, skipped: imported.skipped }
        } else {
          const imported = await importer.current.run(picked.files, picked.folders, shape, invert, onProgress)
          setSamples((current) => (current ? appendSamples(current, imported.samples) : imported.samples))
          result = imported
        }
        setNotice({ kind: 'info', text: `Imported ${result.samples.count} samples${result.skipped.length ? `; left out ${result.skipped.length} files that are not data (${result.skipped.slice(0, 3).join(', ')}${result.skipped.length > 3 ? ', …' : ''})` : ''}.` })
      } catch (error) {
        setNotice({ kind: 'error', text: error instanceof TesseraeError && error.code === 'IMPORT_CANCELLED' ? 'Import cancelled; nothing was added.' : `Nothing was imported: ${errorMessage(error)}` })
      } finally {
        setProgress(null)
      }
    },
    [shape, task, format],
  )

  const save = useCallback(
    async (info: DatasetInfo) => {
      if (!peer || (!samples && !taskSamples)) return
      setBusy('saving')
      setNotice(null)
      try {
        const owner = peer.swarm.node.peerId.toString()
        const { manifest, chunks } = taskSamples ? await buildTaskDataset(taskSamples, info, owner, Date.now()) : await buildDataset(samples!, info, owner, Date.now())
        const need = chunks.reduce((n, c) => n + c.bytes.length, 0)
        const before = await storageBudget()
        if (before && before.quota - before.usage < need * 1.1) throw new TesseraeError('STORAGE_FULL', `this dataset needs ${formatBytes(need)} but only ${formatBytes(before.quota - before.usage)} of browser storage is free; nothing was saved`)
        const signed = await signManifest(peer.privateKey, manifest)
        await saveDataset(await datasetId(manifest), signed, chunks, Date.now())
        const persisted = before?.persisted || (await requestPersistence())
        setSamples(null)
        setTaskSamples(null)
        setNotice({ kind: 'info', text: `Saved and signed "${manifest.name}": ${manifest.samples} samples in ${chunks.length} chunks (${formatBytes(need)}).${persisted ? '' : ' The browser did not grant persistent storage, so it may evict this data under storage pressure.'}` })
        await refresh()
      } catch (error) {
        setNotice({ kind: 'error', text: `Could not save the dataset: ${errorMessage(error)}` })
      } finally {
        setBusy(null)
      }
    },
    [peer, samples, taskSamples, refresh],
  )

  const offer = useCallback(
    async (dataset: StoredDataset, job: HeardJob) => {
      if (!peer) return
      setBusy(`offer-${dataset.id}`)
      const { id: jobId, name: jobName } = job.announcement.job
      try {
        const reply = await offerDataset(peer.swarm.node, job.announcement, dataset.signed)
        await recordOffer(dataset.id, { jobId, jobName, status: reply.status, reason: reply.reason, atMs: Date.now() })
      } catch (error) {
        await recordOffer(dataset.id, { jobId, jobName, status: 'failed', reason: errorMessage(error), atMs: Date.now() })
      } finally {
        setBusy(null)
        await refresh()
      }
    },
    [peer, refresh],
  )

  return {
    jobs,
    target,
    setTargetJobId,
    shape,
    samples,
    taskSamples,
    /** The format a job with its own task takes (null: the job takes grayscale sample sets). */
    format,
    duplicates,
    progress,
    notice,
    datasets,
    budget,
    served,
    busy,
    importPicked,
    cancelImport: () => importer.current.cancel(),
    relabel: (indices: number[], label: number) => {
      setSamples((s) => (s ? relabel(s, indices, label) : s))
      setTaskSamples((s) => (s ? relabelTaskSamples(s, indices, label) : s))
    },
    remove: (indices: number[]) => {
      setSamples((s) => (s ? removeSamples(s, indices) : s))
      setTaskSamples((s) => (s ? removeTaskSamples(s, indices) : s))
    },
    discard: () => {
      setSamples(null)
      setTaskSamples(null)
    },
    save,
    offer,
    /** Loads a saved dataset back into review; saving it makes a new version (a new id) beside the old one. */
    editSaved: async (d: StoredDataset) => {
      if (samples || taskSamples) return setNotice({ kind: 'error', text: 'Save or discard the samples under review before editing a saved dataset.' })
      const manifest = d.signed.manifest
      try {
        if (manifest.format === MANIFEST_FORMAT) setSamples(samplesFromChunks(manifest, await loadChunks(d)))
        else setTaskSamples(taskSamplesFromChunks(manifest, await loadChunks(d)))
        setNotice({ kind: 'info', text: `Loaded "${d.signed.manifest.name}" for review. Saving makes a new version with its own id; the current one stays until you delete it.` })
      } catch (error) {
        setNotice({ kind: 'error', text: `Could not load "${d.signed.manifest.name}": ${errorMessage(error)}` })
      }
    },
    deleteSaved: async (id: string) => {
      await deleteDataset(id)
      await refresh()
    },
    fitsTarget: (d: StoredDataset) => target !== null && sameFormat(manifestFormat(d.signed.manifest), sampleFormat(jobTask(target.announcement.job))),
  }
}

export type ContributeState = ReturnType<typeof useContribute>
