// A bounded protobuf wire-format reader for files from outside (the counterpart of protobuf-writer.ts): every
// length is checked against the bytes that remain, so a damaged or hostile file ends in a DataFormatError.
import { DataFormatError } from '../../data/errors.ts'

/** Protobuf wire types (protobuf.dev, "Encoding"); 3 and 4 are the deprecated groups, which ONNX never uses. */
export const WIRE_TYPE = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const
export type WireType = (typeof WIRE_TYPE)[keyof typeof WIRE_TYPE]

const WIRE_TYPE_NAMES: Record<number, string> = { 0: 'a varint', 1: 'a fixed64', 2: 'length-delimited', 5: 'a fixed32' }
/** 64 bits at 7 per byte. */
const MAX_VARINT_BYTES = 10
/** Field numbers are 29 bits. */
const MAX_FIELD_NUMBER = 2 ** 29 - 1
const FIXED32_BYTES = 4
const FIXED64_BYTES = 8

export interface ProtoTag {
  field: number
  wireType: WireType
  /** Where the tag starts in the file, for messages that point at it. */
  at: number
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Reads one message's fields in order: `tag()`, then one typed read (which checks the tag's wire type) or
 * `skip`. A nested message gets its own reader over exactly its bytes; offsets in errors are from the start
 * of the file.
 */
export class ProtoReader {
  readonly fileName: string
  private readonly bytes: Uint8Array
  private offset: number
  private readonly end: number

  constructor(bytes: Uint8Array, fileName: string, start = 0, end = bytes.length) {
    this.bytes = bytes
    this.fileName = fileName
    this.offset = start
    this.end = end
  }

  get done(): boolean {
    return this.offset >= this.end
  }

  /** A DataFormatError naming the file and the byte where the problem is. */
  fail(problem: string, at = this.offset): never {
    throw new DataFormatError(this.fileName, `is damaged or cut short: at byte ${at}, ${problem}`)
  }

  tag(): ProtoTag {
    const at = this.offset
    const value = this.readVarint()
    const field = Math.floor(value / 8)
    const wireType = value % 8
    if (field < 1 || field > MAX_FIELD_NUMBER) this.fail(`a field number is ${field}, outside 1 to ${MAX_FIELD_NUMBER}`, at)
    if (!(wireType in WIRE_TYPE_NAMES)) this.fail(`field ${field} has wire type ${wireType}, which is not one this reader knows (0, 1, 2 or 5)`, at)
    return { field, wireType: wireType as WireType, at }
  }

  /** An unsigned varint field (int32, int64 or uint64 with a value up to 2^53 − 1). */
  uint(tag: ProtoTag, what: string): number {
    this.expect(tag, WIRE_TYPE.varint, what)
    return this.readVarint()
  }

  bytesField(tag: ProtoTag, what: string): Uint8Array {
    this.expect(tag, WIRE_TYPE.lengthDelimited, what)
    return this.readLengthDelimited()
  }

  string(tag: ProtoTag, what: string): string {
    const at = this.offset
    const bytes = this.bytesField(tag, what)
    try {
      return utf8.decode(bytes)
    } catch {
      return this.fail(`${what} is not valid UTF-8 text`, at)
    }
  }

  message(tag: ProtoTag, what: string): ProtoReader {
    this.expect(tag, WIRE_TYPE.lengthDelimited, what)
    const length = this.readLength()
    const start = this.offset
    this.offset += length
    return new ProtoReader(this.bytes, this.fileName, start, start + length)
  }

  /** A repeated varint field, packed (one length-delimited run) or not (one value per tag). */
  packedUints(tag: ProtoTag, what: string): number[] {
    if (tag.wireType === WIRE_TYPE.varint) return [this.readVarint()]
    const inner = this.message(tag, what)
    const values: number[] = []
    while (!inner.done) values.push(inner.readVarint())
    return values
  }

  /** A repeated fixed32 field (float, fixed32), packed or not, as its little-endian bytes. */
  packedFixed32(tag: ProtoTag, what: string): Uint8Array {
    if (tag.wireType === WIRE_TYPE.fixed32) return this.take(FIXED32_BYTES)
    const at = this.offset
    const bytes = this.bytesField(tag, what)
    if (bytes.length % FIXED32_BYTES !== 0) this.fail(`${what} holds ${bytes.length} bytes, not a whole number of 4-byte values`, at)
    return bytes
  }

  /** Steps over a field this reader does not need. */
  skip(tag: ProtoTag): void {
    if (tag.wireType === WIRE_TYPE.varint) this.readVarint(false)
    else if (tag.wireType === WIRE_TYPE.fixed64) this.take(FIXED64_BYTES)
    else if (tag.wireType === WIRE_TYPE.fixed32) this.take(FIXED32_BYTES)
    else this.readLengthDelimited()
  }

  private expect(tag: ProtoTag, wireType: WireType, what: string): void {
    if (tag.wireType !== wireType) this.fail(`${what} (field ${tag.field}) is ${WIRE_TYPE_NAMES[tag.wireType]}, not ${WIRE_TYPE_NAMES[wireType]}`, tag.at)
  }

  /**
   * A varint of up to 64 bits. Bytes are combined by multiplication, not 32-bit shifts, so a large length cannot
   * wrap to a small one; read as a number, anything above 2^53 − 1 is refused (no field this reader interprets is
   * that large, and a length that size is past the end of any file it accepts). A skipped one may be any size
   * (a negative int64 takes all ten bytes).
   */
  private readVarint(exact = true): number {
    const at = this.offset
    let value = 0
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.offset >= this.end) this.fail(`a number runs past the end (${this.end - at} bytes left)`, at)
      const byte = this.bytes[this.offset++]!
      value += (byte & 0x7f) * 2 ** (7 * i)
      if (byte < 0x80) {
        if (i === MAX_VARINT_BYTES - 1 && byte > 1) this.fail('a number is longer than 64 bits', at)
        if (exact && value > Number.MAX_SAFE_INTEGER) this.fail('a number is larger than 2^53 − 1, past any size or count this file can hold', at)
        return value
      }
    }
    return this.fail('a number is longer than 64 bits', at)
  }

  private readLength(): number {
    const at = this.offset
    const length = this.readVarint()
    const left = this.end - this.offset
    if (length > left) this.fail(`a field says it is ${length} bytes long, but only ${left} remain`, at)
    return length
  }

  private readLengthDelimited(): Uint8Array {
    return this.take(this.readLength())
  }

  private take(count: number): Uint8Array {
    const left = this.end - this.offset
    if (count > left) this.fail(`a value of ${count} bytes runs past the end (${left} bytes left)`)
    const out = this.bytes.subarray(this.offset, this.offset + count)
    this.offset += count
    return out
  }
}
