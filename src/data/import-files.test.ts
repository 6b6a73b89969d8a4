import { describe, expect, it } from 'vitest'

import { gzipSync, gunzipSync } from 'node:zlib'
import { encodeIdx } from './idx.ts'
import { estimateStoredBytes, fileKind, importFiles, type ImportFile } from './import-files.ts'
import { FASHION_MNIST_SHAPE, type SampleShape } from './samples.ts'
import { decodeTestPng, encodePng } from './testing/png.ts'

import { readFashionFile } from './testing/fashion-files.ts'
import { IMPORT_LIMITS, mib } from './limits.ts'
const shape: SampleShape = { height: 2, width: 2, classes: ['cat', 'dog'] }
/** One-pixel samples: for tests where the count of samples, not their size, matters. */
const tiny: SampleShape = { height: 1, width: 1, classes: ['cat', 'dog'] }
const decode = (bytes: Uint8Array) => decodeTestPng(bytes)
const file = (path: string, bytes: Uint8Array): ImportFile => ({ path, size: bytes.length, read: async () => bytes })
const png = (value: number, side = 4) => encodePng(side, side, new Uint8Array(side * side).fill(value))

describe('file kinds', () => {
  it('recognises images, IDX, tables and junk', () => {
    expect(['a/b.PNG', 'x.jpeg', 'train-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte', 'd.idx', 'e.tsv', 'f.ndjson', 'a/.DS_Store', 'README.md'].map(fileKind)).toEqual(['image', 'image', 'idx', 'idx', 'idx', 'csv', 'jsonl', 'ignored', 'ignored'])
  })
})

describe('storage estimate before import', () => {
  it('counts images at their stored size and gzipped files expanded', () => {
    expect(estimateStoredBytes([{ path: 'a/b.png', size: 50_000 }, { path: 'x.csv', size: 1000 }, { path: 'y-idx3-ubyte.gz', size: 100 }], 784)).toBe(785 + 1000 + 400)
  })
})

describe('image folder import', () => {
  it('labels by class folder (name or index), resizes, reports progress and skips junk', async () => {
    const progress: number[] = []
    const { samples, skipped } = await importFiles(
      [file('pets/cat/1.png', await png(100)), file('pets/1/2.png', await png(200, 6)), file('pets/.DS_Store', new Uint8Array(3)), file('pets/notes.txt', new Uint8Array(2))],
      shape,
      { decode, onProgress: (done) => progress.push(done) },
    )
    expect(samples.count).toBe(2)
    // Files are imported in path order, so a re-import gives the same samples in the same order.
    expect([...samples.labels]).toEqual([1, 0])
    expect([...samples.pixels]).toEqual([200, 200, 200, 200, 100, 100, 100, 100])
    expect(samples.sources.map((s) => s.file)).toEqual(['pets/1/2.png', 'pets/cat/1.png'])
    expect(skipped).toEqual(['pets/.DS_Store', 'pets/notes.txt'])
    expect(progress).toEqual([1, 2])
  })

  it('rejects unknown class folders, loose images, empty classes, corrupt and oversized images, naming each', async () => {
    const good = await png(1)
    await expect(importFiles([file('pets/cow/1.png', good)], shape, { decode })).rejects.toThrow(/folder "cow" does not name a class/)
    await expect(importFiles([file('1.png', good)], shape, { decode })).rejects.toThrow('1.png is not inside a class folder')
    await expect(importFiles([file('pets/cat/1.png', good)], shape, { decode, folders: ['pets', 'pets/cat', 'pets/dog'] })).rejects.toThrow('class folder "dog" is empty')
    await expect(importFiles([file('pets/cat/1.png', good), file('pets/dog/bad.png', good.subarray(0, 30))], shape, { decode })).rejects.toThrow('pets/dog/bad.png is a truncated PNG')
    await expect(importFiles([file('pets/dog/x.png', new TextEncoder().encode('not an image'))], shape, { decode })).rejects.toThrow(/pets\/dog\/x.png is neither a PNG nor a JPEG/)
    await expect(importFiles([{ path: 'pets/dog/huge.png', size: 50 * 2 ** 20, read: async () => good }], shape, { decode })).rejects.toThrow(/huge.png is 50 MiB, over the 20 MiB limit/)
    await expect(importFiles([file('pets/dog/x.png', good)], shape, { decode: async () => Promise.reject(new Error('decoder says no')) })).rejects.toThrow('pets/dog/x.png cannot be decoded as an image (decoder says no)')
    await expect(importFiles([file('README.md', good)], shape, { decode })).rejects.toThrow(/none of the 1 files/)
  })

  it('stops on cancel and returns nothing', async () => {
    const controller = new AbortController()
    const files = await Promise.all([1, 2, 3].map(async (i) => file(`cat/${i}.png`, await png(i))))
    const run = importFiles(files, shape, { decode, signal: controller.signal, onProgress: (done) => done === 1 && controller.abort() })
    await expect(run).rejects.toThrow('the import was cancelled; nothing was added')
  })
})

describe('IDX import', () => {
  const images = encodeIdx([3, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
  const labels = encodeIdx([3], [0, 1, 1])

  it('pairs images with labels by name, gzip or raw, with 1-based row sources', async () => {
    const { samples } = await importFiles([file('train-labels-idx1-ubyte.gz', gzipSync(labels)), file('train-images-idx3-ubyte', images)], shape, { decode })
    expect(samples.count).toBe(3)
    expect([...samples.labels]).toEqual([0, 1, 1])
    expect(samples.sources[2]).toEqual({ file: 'train-images-idx3-ubyte', row: 3 })
  })

  it('rejects mismatched counts, out-of-range labels, wrong shapes, wrong magic, truncation and orphans', async () => {
    const img = file('a-images.idx', images)
    await expect(importFiles([img, file('a-labels.idx', encodeIdx([2], [0, 1]))], shape, { decode })).rejects.toThrow('a-labels.idx has 2 labels but a-images.idx has 3 images')
    await expect(importFiles([img, file('a-labels.idx', encodeIdx([3], [0, 1, 5]))], shape, { decode })).rejects.toThrow('a-labels.idx row 3 has label 5, outside the 2 classes 0–1')
    await expect(importFiles([file('a-images.idx', encodeIdx([1, 3, 3], new Array(9).fill(0))), file('a-labels.idx', encodeIdx([1], [0]))], shape, { decode })).rejects.toThrow('a-images.idx holds 3×3 images, but this dataset needs 2×2')
    const wrongMagic = images.slice()
    wrongMagic[0] = 7
    await expect(importFiles([file('a-images.idx', wrongMagic), file('a-labels.idx', labels)], shape, { decode })).rejects.toThrow(/a-images.idx is not an IDX file/)
    await expect(importFiles([file('a-images.idx', images.subarray(0, 20)), file('a-labels.idx', labels)], shape, { decode })).rejects.toThrow(/a-images.idx is truncated/)
    await expect(importFiles([img], shape, { decode })).rejects.toThrow('a-images.idx has no matching IDX label file')
    await expect(importFiles([img, file('a-labels.idx', labels), file('b-labels.idx', labels)], shape, { decode })).rejects.toThrow('b-labels.idx is an IDX label file without a matching image file')
  })

  it('reads a slice of the real Fashion-MNIST test set next to a PNG folder, all or nothing', async () => {
    const rawImages = gunzipSync(await readFashionFile('t10k-images-idx3-ubyte.gz'))
    const rawLabels = gunzipSync(await readFashionFile('t10k-labels-idx1-ubyte.gz'))
    const n = 300
    const sliceImages = encodeIdx([n, 28, 28], rawImages.subarray(16, 16 + n * 784))
    const sliceLabels = encodeIdx([n], rawLabels.subarray(8, 8 + n))
    const pngs = await Promise.all([0, 1].map(async (i) => file(`shirts/Shirt/${i}.png`, await encodePng(28, 28, rawImages.subarray(16 + i * 784, 16 + (i + 1) * 784)))))
    const { samples } = await importFiles([...pngs, file('slice-images-idx3-ubyte', sliceImages), file('slice-labels-idx1-ubyte', sliceLabels)], FASHION_MNIST_SHAPE, { decode })
    expect(samples.count).toBe(n + 2)
    expect([...samples.pixels.subarray(0, 784)]).toEqual([...rawImages.subarray(16, 16 + 784)])
    expect(samples.labels[0]).toBe(6)
    expect([...samples.labels.subarray(2)]).toEqual([...rawLabels.subarray(8, 8 + n)])
    await expect(importFiles([...pngs, file('slice-images-idx3-ubyte', sliceImages), file('slice-labels-idx1-ubyte', sliceLabels.subarray(0, 100))], FASHION_MNIST_SHAPE, { decode })).rejects.toThrow(/slice-labels-idx1-ubyte is truncated/)
  })
})

describe('import limits at their boundary', () => {

  it('takes an image or IDX file of exactly the limit and refuses one byte more, before reading it', async () => {
    const good = await png(1)
    const sized = (path: string, size: number, bytes: Uint8Array): ImportFile => ({ path, size, read: async () => bytes })
    const atImage = IMPORT_LIMITS.imageFileBytes
    await expect(importFiles([sized('cat/1.png', atImage, good)], shape, { decode })).resolves.toMatchObject({ samples: { count: 1 } })
    await expect(importFiles([sized('cat/1.png', atImage + 1, good)], shape, { decode })).rejects.toThrow('cat/1.png is 20 MiB, over the 20 MiB limit for one image')
    const images = encodeIdx([1, 2, 2], [1, 2, 3, 4])
    const labels = encodeIdx([1], [1])
    const atIdx = IMPORT_LIMITS.idxFileBytes
    await expect(importFiles([sized('a-images.idx', atIdx, images), sized('a-labels.idx', atIdx, labels)], shape, { decode })).resolves.toMatchObject({ samples: { count: 1 } })
    await expect(importFiles([sized('a-images.idx', atIdx + 1, images), file('a-labels.idx', labels)], shape, { decode })).rejects.toThrow('a-images.idx is 256 MiB, over the 256 MiB limit for one IDX file')
  })

  it('takes a dataset of exactly the sample limit and refuses one sample more', async () => {
    const idxOf = (n: number) => [file('a-images.idx', encodeIdx([n, 1, 1], new Array<number>(n).fill(7))), file('a-labels.idx', encodeIdx([n], new Array<number>(n).fill(1)))]
    const limit = IMPORT_LIMITS.samples
    await expect(importFiles(idxOf(limit), tiny, { decode })).resolves.toMatchObject({ samples: { count: limit } })
    await expect(importFiles(idxOf(limit + 1), tiny, { decode })).rejects.toThrow(expect.objectContaining({ code: 'IMPORT_TOO_LARGE', message: `the files hold ${limit + 1} samples, over the ${limit} limit for one dataset` }))
  })

  it('refuses a table file over its limit before decoding it', async () => {
    const big = new Uint8Array(IMPORT_LIMITS.tableFileBytes + 1)
    await expect(importFiles([file('big.csv', big)], tiny, { decode })).rejects.toThrow('big.csv is 256 MiB, over the 256 MiB limit for one table file')
  })

  it('says what it was given when given nothing', async () => {
    await expect(importFiles([], tiny, { decode })).rejects.toThrow(expect.objectContaining({ code: 'IMPORT_EMPTY', message: 'no files were given' }))
  })

  it('writes sizes under 1 MiB with two decimals and larger ones whole', () => {
    expect(mib(2 ** 20 - 2 ** 10)).toBe('1.00 MiB')
    expect(mib(2 ** 19)).toBe('0.50 MiB')
    expect(mib(2 ** 20)).toBe('1 MiB')
    expect(mib(20.4 * 2 ** 20)).toBe('20 MiB')
  })
})

describe('what each file is', () => {
  it('goes by the whole extension, at the end of the name', () => {
    const kinds = Object.fromEntries(['x.jpg', 'x.png.txt', 'x.jpgx', 'x.csv.bak', 'x.jsonl.old', 'x.tsv~', 'a.idx3', 'train-images-idx3-ubyte.txt', 'a.idx.gz.part', 'a-ubyte.gz'].map((p) => [p, fileKind(p)]))
    expect(kinds).toEqual({ 'x.jpg': 'image', 'x.png.txt': 'ignored', 'x.jpgx': 'ignored', 'x.csv.bak': 'ignored', 'x.jsonl.old': 'ignored', 'x.tsv~': 'ignored', 'a.idx3': 'idx', 'train-images-idx3-ubyte.txt': 'ignored', 'a.idx.gz.part': 'ignored', 'a-ubyte.gz': 'idx' })
  })

  it('skips hidden files, macOS resource forks and the __MACOSX folder, wherever they are', () => {
    expect(['.hidden.png', 'cat/._1.png', '.a', '__MACOSX/cat/1.png', '__MACOSX', 'cat/Thumbs.db', 'DESKTOP.INI'].map(fileKind)).toEqual(Array(7).fill('ignored'))
    expect(fileKind('cat/a.b.png')).toBe('image')
  })

  it('counts a table at its size unless the name ends in .gz', () => {
    expect(estimateStoredBytes([{ path: 'x.gz.csv', size: 10 }, { path: 'y.csv.gz', size: 10 }], 4)).toBe(10 + 40)
  })
})

describe('image folders and declared folders', () => {
  it('names three classes when an image is not in a class folder', async () => {
    await expect(importFiles([file('1.png', await png(1))], FASHION_MNIST_SHAPE, { decode })).rejects.toThrow('1.png is not inside a class folder; put each image in a folder named after its class (T-shirt/top, Trouser, Pullover, …)')
  })

  it('says which folder names no class, in the words of a folder', async () => {
    await expect(importFiles([file('pets/cow/1.png', await png(1))], shape, { decode })).rejects.toThrow(/^folder "cow" does not name a class: the name "cow"/)
  })

  it('refuses an empty declared class folder only, trailing slash or not, and takes folders that hold images', async () => {
    const files = [file('pets/cat/1.png', await png(1)), file('pets/dog/2.png', await png(2))]
    await expect(importFiles(files, shape, { decode, folders: ['pets', 'pets/cat', 'pets/dog', 'pets/misc'] })).resolves.toMatchObject({ samples: { count: 2 } })
    await expect(importFiles(files.slice(0, 1), shape, { decode, folders: ['pets/cat', 'pets/dog/'] })).rejects.toThrow('class folder "dog" is empty')
  })

  it('stops reading and decoding at once when cancelled, and reports the file it is at', async () => {
    const controller = new AbortController()
    let decoded = 0
    const seen: Array<[number, number, string]> = []
    const files = await Promise.all([1, 2, 3].map(async (i) => file(`cat/${i}.png`, await png(i))))
    const run = importFiles(files, shape, { decode: (bytes) => (decoded++, decode(bytes)), signal: controller.signal, onProgress: (done, total, current) => (seen.push([done, total, current]), done === 1 && controller.abort()) })
    await expect(run).rejects.toThrow(expect.objectContaining({ code: 'IMPORT_CANCELLED' }))
    expect(decoded).toBe(1)
    expect(seen).toEqual([[1, 3, 'cat/1.png']])
  })
})

describe('IDX pairing and checks', () => {
  const images = (n: number, v: number) => encodeIdx([n, 2, 2], new Array<number>(4 * n).fill(v))
  const labels = (...l: number[]) => encodeIdx([l.length], l)

  it('pairs image and label files by name, singular or plural, idx3 with idx1, whatever the order', async () => {
    const { samples } = await importFiles([
      file('b-label.idx', labels(1, 1)), file('a-images-idx3-ubyte', images(1, 10)), file('b-image.idx', images(2, 20)), file('a-labels-idx1-ubyte', labels(0)),
    ], shape, { decode })
    expect([...samples.labels]).toEqual([0, 1, 1])
    expect([...samples.pixels].filter((_, i) => i % 4 === 0)).toEqual([10, 20, 20])
  })

  it('reports progress and the file for each IDX file, and stops reading when cancelled', async () => {
    const seen: string[] = []
    await importFiles([file('a-images.idx', images(1, 1)), file('a-labels.idx', labels(0))], shape, { decode, onProgress: (_, __, current) => seen.push(current) })
    expect(seen).toEqual(['a-images.idx', 'a-labels.idx'])
    const controller = new AbortController()
    let reads = 0
    const counted = (path: string, bytes: Uint8Array): ImportFile => ({ path, size: bytes.length, read: async () => (reads++, bytes) })
    const run = importFiles([counted('a-images.idx', images(1, 1)), counted('a-labels.idx', labels(0))], shape, { decode, signal: controller.signal, onProgress: () => controller.abort() })
    await expect(run).rejects.toThrow(expect.objectContaining({ code: 'IMPORT_CANCELLED' }))
    expect(reads).toBe(1)
  })

  it('refuses files it cannot pair, odd ranks, a wrong width alone and a label equal to the class count', async () => {
    await expect(importFiles([file('a-images.idx', images(1, 1)), file('b-images.idx', images(1, 1)), file('c-labels.idx', labels(0))], shape, { decode })).rejects.toThrow('a-images.idx has no matching IDX label file')
    await expect(importFiles([file('a-images.idx', images(1, 1)), file('a-labels.idx', labels(0)), file('b-images.idx', images(1, 1)), file('b-labels.idx', labels(0)), file('c-labels.idx', labels(0))], shape, { decode })).rejects.toThrow('c-labels.idx is an IDX label file without a matching image file')
    await expect(importFiles([file('a.idx', encodeIdx([2, 2], [1, 2, 3, 4]))], shape, { decode })).rejects.toThrow('a.idx has 2 dimensions; IDX image files have 3 (count × height × width) and label files 1')
    await expect(importFiles([file('a-images.idx', encodeIdx([1, 2, 3], new Array<number>(6).fill(0))), file('a-labels.idx', labels(0))], shape, { decode })).rejects.toThrow('a-images.idx holds 2×3 images, but this dataset needs 2×2')
    await expect(importFiles([file('a-images.idx', images(1, 1)), file('a-labels.idx', labels(2))], shape, { decode })).rejects.toThrow('a-labels.idx row 1 has label 2, outside the 2 classes 0–1')
  })
})

describe('tables through the one import', () => {
  const text = (path: string, body: string) => file(path, new TextEncoder().encode(body))

  it('reads CSV and JSONL files beside images, in path order, with progress for each', async () => {
    const seen: string[] = []
    const { samples } = await importFiles([text('b.jsonl', '{"label":"cat","pixels":[9]}\n'), text('a.csv', 'label,p\ndog,7\n')], tiny, { decode, onProgress: (_, __, current) => seen.push(current) })
    expect([...samples.labels]).toEqual([1, 0])
    expect([...samples.pixels]).toEqual([7, 9])
    expect(seen).toEqual(['a.csv', 'b.jsonl'])
  })

  it('names the code when nothing importable was given', async () => {
    await expect(importFiles([file('README.md', new Uint8Array(1))], tiny, { decode })).rejects.toThrow(expect.objectContaining({ code: 'IMPORT_EMPTY' }))
  })
})
