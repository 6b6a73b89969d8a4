// A checkpoint store that lives as long as the process: throwaway coordinators (tests, benchmarks, headless
// runs without a data directory).
import type { CheckpointStore } from './coordinator.ts'

export class MemoryCheckpointStore implements CheckpointStore {
  text: string | null = null
  saves = 0

  async load(): Promise<string | null> {
    return this.text
  }

  async save(text: string): Promise<void> {
    this.text = text
    this.saves++
  }
}
