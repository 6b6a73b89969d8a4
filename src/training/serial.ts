// Runs async tasks one after another: the coordinator's state changes must not interleave (a result
// arriving while a round closes would otherwise be credited against the wrong version).
export class Serial {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task)
    this.tail = result.catch(() => undefined)
    return result
  }
}
