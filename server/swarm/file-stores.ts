// Node-side storage for headless peers: a checkpoint file written atomically (write then rename, so a crash
// mid-write leaves the previous checkpoint) and a peer-key file readable only by its owner.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { CheckpointStore } from '../../src/training/coordinator.ts'
import type { KeyStore } from '../../src/p2p/peer-key.ts'

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

async function writeAtomically(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, data, { mode })
  await rename(tmp, path)
}

export class FileCheckpointStore implements CheckpointStore {
  private readonly path: string
  constructor(path: string) {
    this.path = path
  }
  async load(): Promise<string | null> {
    return (await readOrNull(this.path))?.toString('utf8') ?? null
  }
  save(text: string): Promise<void> {
    return writeAtomically(this.path, text)
  }
}

export class FileKeyStore implements KeyStore {
  private readonly path: string
  constructor(path: string) {
    this.path = path
  }
  async load(): Promise<Uint8Array | null> {
    const bytes = await readOrNull(this.path)
    return bytes === null ? null : new Uint8Array(bytes)
  }
  save(bytes: Uint8Array): Promise<void> {
    return writeAtomically(this.path, bytes, 0o600)
  }
}
