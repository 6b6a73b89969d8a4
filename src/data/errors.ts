import { TesseraeError } from '../errors.ts'

/** A contributor's file is malformed; the message names the file and what is wrong with it. */
export class DataFormatError extends TesseraeError {
  readonly fileName: string

  constructor(fileName: string, problem: string) {
    super('DATA_FORMAT', `${fileName} ${problem}`)
    this.name = 'DataFormatError'
    this.fileName = fileName
  }
}
