// Small, strict readers for untrusted JSON: decode once at the edge, then pass typed values inward.
import { DecodeError } from './errors.ts'

export type JsonObject = Record<string, unknown>

export function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DecodeError(what, 'expected an object')
  return value as JsonObject
}

export function readString(obj: JsonObject, key: string, what: string, maxLength = 1024): string {
  const value = obj[key]
  if (typeof value !== 'string') throw new DecodeError(what, `"${key}" must be a string`)
  if (value.length > maxLength) throw new DecodeError(what, `"${key}" is longer than ${maxLength} characters`)
  return value
}

export function readNumber(obj: JsonObject, key: string, what: string, min = -Infinity, max = Infinity): number {
  const value = obj[key]
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new DecodeError(what, `"${key}" must be a finite number`)
  if (value < min || value > max) throw new DecodeError(what, `"${key}" must be between ${min} and ${max}`)
  return value
}

export function readInteger(obj: JsonObject, key: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = readNumber(obj, key, what, min, max)
  if (!Number.isInteger(value)) throw new DecodeError(what, `"${key}" must be an integer`)
  return value
}

export function readBoolean(obj: JsonObject, key: string, what: string): boolean {
  const value = obj[key]
  if (typeof value !== 'boolean') throw new DecodeError(what, `"${key}" must be true or false`)
  return value
}

export function readStringArray(obj: JsonObject, key: string, what: string, maxItems: number, maxLength = 1024): string[] {
  const value = obj[key]
  if (!Array.isArray(value)) throw new DecodeError(what, `"${key}" must be an array`)
  if (value.length > maxItems) throw new DecodeError(what, `"${key}" has more than ${maxItems} entries`)
  return value.map((item, index) => {
    if (typeof item !== 'string') throw new DecodeError(what, `"${key}[${index}]" must be a string`)
    if (item.length > maxLength) throw new DecodeError(what, `"${key}[${index}]" is longer than ${maxLength} characters`)
    return item
  })
}

/** Parses JSON text with a size cap so a hostile sender cannot make us allocate without bound. */
export function parseJsonLimited(text: string, maxBytes: number, what: string): unknown {
  if (text.length > maxBytes) throw new DecodeError(what, `message is ${text.length} bytes, the limit is ${maxBytes}`)
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new DecodeError(what, `not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
}
