// What a new job can train on: the built-in Fashion-MNIST subset and the image datasets this tab's identity
// saved (a job may only include data its coordinator owns; other people's data arrives as offers). Saved tables
// and texts are not listed: a choice here trains a zoo image model, and a job on them starts from the owner's file.
import { useQuery } from '@tanstack/react-query'
import { listDatasets, type StoredDataset } from '../../data/dataset-store.ts'
import { manifestFormat } from '../../data/manifest.ts'
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
  const query = useQuery({
    queryKey: ['dataset-choices', owner],
    enabled: owner !== null,
    retry: false,
    queryFn: async (): Promise<DatasetChoices> => {
      const own = (await listDatasets()).filter((d) => d.signed.manifest.owner === owner)
      const images = own.flatMap((stored) => {
        const format = manifestFormat(stored.signed.manifest)
        return format.kind === 'image' ? [{ stored, format }] : []
      })
      const list = [BUILT_IN, ...images.map(({ stored, format }): DatasetChoice => ({ id: stored.id, name: stored.signed.manifest.name, samples: stored.signed.manifest.samples, shape: [format.channels, format.height, format.width], classes: format.classes, builtIn: false }))]
      return { list, saved: new Map(images.map(({ stored }) => [stored.id, stored])), error: null }
    },
  })
  if (query.error) return { list: [BUILT_IN], saved: new Map(), error: `Your saved datasets could not be read (${errorMessage(query.error)}); only the built-in set is offered.` }
  return query.data ?? INITIAL
}

const INITIAL: DatasetChoices = { list: [BUILT_IN], saved: new Map(), error: null }
