// Errors are values with names: every failure a user or peer can hit carries a stable code and a message
// that says what happened and what to do, in the style of viem's BaseError.
export class TesseraeError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TesseraeError'
    this.code = code
  }
}

/** Input from outside (a file, a server, a peer) did not match its schema. */
export class DecodeError extends TesseraeError {
  constructor(what: string, problem: string) {
    super('DECODE', `${what}: ${problem}`)
    this.name = 'DecodeError'
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
