// Node-side storage for headless peers: a checkpoint file and a peer-key file, both written atomically and
// readable only by their owner (the checkpoint holds the verification-draw secret and wallet bindings).
import { readFile } from 'node:fs/promises'
import { writePrivateFile } from '../private-files.ts'
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

export class FileCheckpointStore implements CheckpointStore {
  private readonly path: string
  constructor(path: string) {
    this.path = path
  }
  async load(): Promise<string | null> {
    return (await readOrNull(this.path))?.toString('utf8') ?? null
  }
  save(text: string): Promise<void> {
    return writePrivateFile(this.path, text)
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
    return writePrivateFile(this.path, bytes)
  }
}
