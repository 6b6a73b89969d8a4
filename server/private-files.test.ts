import { afterEach, describe, expect, it } from 'vitest'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { assertPrivateFile, ensurePrivateDir, writePrivateFile } from './private-files.ts'
import { FileCheckpointStore, FileKeyStore } from './swarm/file-stores.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tesserae-private-'))
  dirs.push(dir)
  return dir
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777

describe('private files', () => {
  it('writes the checkpoint 0600 inside a 0700 data directory', async () => {
    const dataDir = join(await scratch(), 'demo-coordinator')
    const store = new FileCheckpointStore(join(dataDir, 'checkpoint.json'))
    await store.save('{"drawSecret":"…"}')
    expect(await modeOf(join(dataDir, 'checkpoint.json'))).toBe(0o600)
    expect(await modeOf(dataDir)).toBe(0o700)
    expect(await store.load()).toBe('{"drawSecret":"…"}')
    await new FileKeyStore(join(dataDir, 'peer-key')).save(new Uint8Array([1, 2, 3]))
    expect(await modeOf(join(dataDir, 'peer-key'))).toBe(0o600)
  })

  it('replaces a world-readable file with a private one and tightens an open directory', async () => {
    const dataDir = join(await scratch(), 'old')
    await mkdir(dataDir, { mode: 0o755 })
    await chmod(dataDir, 0o755)
    await writeFile(join(dataDir, 'checkpoint.json'), 'old', { mode: 0o644 })
    await writePrivateFile(join(dataDir, 'checkpoint.json'), 'new')
    expect(await modeOf(join(dataDir, 'checkpoint.json'))).toBe(0o600)
    expect(await modeOf(dataDir)).toBe(0o700)
    expect(await readFile(join(dataDir, 'checkpoint.json'), 'utf8')).toBe('new')
  })

  it('keeps the owner bits of a directory it tightens', async () => {
    const dir = join(await scratch(), 'shared')
    await mkdir(dir)
    await chmod(dir, 0o775)
    await ensurePrivateDir(dir)
    expect(await modeOf(dir)).toBe(0o700)
  })

  it('refuses a key file others can read, naming the fix', async () => {
    const path = join(await scratch(), 'deployer.key')
    await writeFile(path, '0x…', { mode: 0o644 })
    await chmod(path, 0o644)
    await expect(assertPrivateFile(path, 'the deployer key')).rejects.toThrow(/chmod 600/)
    await chmod(path, 0o600)
    await expect(assertPrivateFile(path, 'the deployer key')).resolves.toBeUndefined()
  })
})
