// Files from a drop or a picker, with their paths inside the dropped folder. Folder drops are walked with
// the File System entries API, which (unlike <input webkitdirectory>) also shows empty folders.
import type { PickedFile } from './import-client.ts'

export interface Picked {
  files: PickedFile[]
  folders: string[]
}

export function fromInput(list: FileList | null): Picked {
  const files = [...(list ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }))
  return { files, folders: [] }
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject))
}

async function walk(entry: FileSystemEntry, out: Picked): Promise<void> {
  const path = entry.fullPath.replace(/^\//, '')
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
    out.files.push({ path, file })
    return
  }
  out.folders.push(path)
  const reader = (entry as FileSystemDirectoryEntry).createReader()
  // readEntries returns at most ~100 entries per call; call until it returns none.
  for (let batch = await readEntries(reader); batch.length > 0; batch = await readEntries(reader)) for (const child of batch) await walk(child, out)
}

export async function fromDrop(transfer: DataTransfer): Promise<Picked> {
  const out: Picked = { files: [], folders: [] }
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null)
  if (entries.length === 0) return { files: [...transfer.files].map((file) => ({ path: file.name, file })), folders: [] }
  for (const entry of entries) await walk(entry, out)
  return out
}
