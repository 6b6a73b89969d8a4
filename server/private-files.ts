// Files only this machine's owner may read: keys, checkpoints (the verification-draw secret, wallet bindings)
// and the data directories holding them. Files are 0600 and directories 0700, and a directory left more
// open by an older version or a loose umask is tightened when we next use it.
import { chmod, mkdir, rename, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { TesseraeError } from '../src/errors.ts'

export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

/** Creates `dir` (and missing parents) 0700, and takes group and world access off it if it already existed. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  const { mode } = await stat(dir)
  if ((mode & 0o077) !== 0) await chmod(dir, mode & 0o700)
}

/** Writes atomically (a crash mid-write leaves the previous version) as a 0600 file in a 0700 directory. */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  await ensurePrivateDir(dirname(path))
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, data, { mode: PRIVATE_FILE_MODE })
  // writeFile's mode applies only when it creates the file; a leftover temp file keeps its old mode.
  await chmod(tmp, PRIVATE_FILE_MODE)
  await rename(tmp, path)
}

/** Refuses a secret that others on this machine can read, as ssh does with a private key. */
export async function assertPrivateFile(path: string, what: string): Promise<void> {
  const { mode } = await stat(path)
  if ((mode & 0o077) !== 0) {
    throw new TesseraeError('KEY_FILE_EXPOSED', `${what} ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}); run "chmod 600 ${path}" first`)
  }
}
