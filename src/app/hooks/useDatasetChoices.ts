// What a new job can train on: the built-in Fashion-MNIST subset and the datasets this tab's identity saved
// (a job may only include data its coordinator owns; other people's data arrives as offers).
import { useEffect, useState } from 'react'
import { listDatasets, type StoredDataset } from '../../data/dataset-store.ts'
import type { DatasetChoice } from '../../training/job-form.ts'
import { FASHION_MNIST_CLASSES } from '../../data/fashion-mnist-files.ts'
import { errorMessage } from '../../errors.ts'
import { DEMO_SAMPLES } from '../demo-data.ts'

export const BUILT_IN_ID = 'built-in:fashion-mnist'

export const BUILT_IN: DatasetChoice = { id: BUILT_IN_ID, name: 'Fashion-MNIST (built-in subset)', samples: DEMO_SAMPLES.train, shape: [1, 28, 28], classes: [...FASHION_MNIST_CLASSES], builtIn: true }

export interface DatasetChoices {
  list: DatasetChoice[]
  saved: Map<string, StoredDataset>
  error: string | null
}

export function useDatasetChoices(owner: string | null): DatasetChoices {
  const [state, setState] = useState<DatasetChoices>({ list: [BUILT_IN], saved: new Map(), error: null })
  useEffect(() => {
    if (!owner) return
    let live = true
    listDatasets().then(
      (stored) => {
        if (!live) return
        const own = stored.filter((d) => d.signed.manifest.owner === owner)
        const list = [BUILT_IN, ...own.map((d): DatasetChoice => ({ id: d.id, name: d.signed.manifest.name, samples: d.signed.manifest.samples, shape: [1, d.signed.manifest.height, d.signed.manifest.width], classes: d.signed.manifest.classes, builtIn: false }))]
        setState({ list, saved: new Map(own.map((d) => [d.id, d])), error: null })
      },
      (error: unknown) => live && setState({ list: [BUILT_IN], saved: new Map(), error: `Your saved datasets could not be read (${errorMessage(error)}); only the built-in set is offered.` }),
    )
    return () => {
      live = false
    }
  }, [owner])
  return state
}
