// Text for character- or byte-level language modelling: plain text or JSONL files ({"text": ...} per line) read
// into one stream of tokens, a vocabulary built from the owner's text, windows of context + 1 tokens whose
// every position predicts the next, bits per character from the model's loss, and sampling from its logits.
// Errors name the file (and the line for JSONL); a failed file yields nothing.
import { DecodeError } from '../errors.ts'
import { asObject, readInteger, readStringArray } from '../schema.ts'
import { DataFormatError } from './errors.ts'
import { decodeText, jsonlObjects, type TableFile } from './table.ts'
import { seededRandom } from '../random.ts'

/** Tokens a vocabulary may hold (one-hot inputs make each one an input column). */
export const MAX_VOCAB = 1024
/** The character-vocabulary's token 0: any character the vocabulary does not hold. */
export const UNKNOWN = '\uFFFD'

export interface TextSchema {
  kind: 'text'
  /** 'bytes': the 256 UTF-8 byte values; 'characters': `vocab`'s characters, token 0 standing for any other. */
  tokens: 'bytes' | 'characters'
  /** For 'characters': one character (code point) per token, UNKNOWN first. Empty for 'bytes'. */
  vocab: string[]
  /** Tokens the model sees at once. */
  context: number
}

export interface TextSamples {
  /** The whole contribution as one token stream (documents joined by a blank line). */
  tokens: Uint16Array
  /** Characters (code points) the tokens spell: bits per character divide by these. */
  characters: number
  sources: Array<{ file: string; row: number }>
}

/** Plain text, or the "text" of each JSONL line; line endings become "\n". */
export function readTextFile(file: TableFile): string[] {
  const text = decodeText(file).replace(/\r\n?/g, '\n')
  if (!/\.jsonl$/i.test(file.name)) {
    if (text.trim() === '') throw new DataFormatError(file.name, 'holds no text')
    return [text]
  }
  const documents = jsonlObjects(text, file.name, 'with a "text" string').map(({ line, obj }) => {
    if (typeof obj.text !== 'string') throw new DataFormatError(file.name, `line ${line} must be an object with a "text" string`)
    return obj.text.replace(/\r\n?/g, '\n')
  })
  if (documents.length === 0) throw new DataFormatError(file.name, 'holds no text')
  return documents
}

/**
 * The owner's character vocabulary: the most frequent characters of `documents` (ties by code point), at most
 * `size - 1` of them, in code-point order after UNKNOWN.
 */
export function characterVocab(documents: readonly string[], size = 128): string[] {
  if (!Number.isInteger(size) || size < 2 || size > MAX_VOCAB) throw new RangeError(`a vocabulary holds 2 to ${MAX_VOCAB} tokens, not ${size}`)
  const counts = new Map<string, number>()
  for (const doc of documents) for (const ch of doc) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  counts.delete(UNKNOWN)
  const byCode = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)!
  const kept = [...counts].sort((a, b) => b[1] - a[1] || byCode(a[0], b[0])).slice(0, size - 1).map(([ch]) => ch)
  return [UNKNOWN, ...kept.sort(byCode)]
}

export const vocabSize = (schema: TextSchema) => (schema.tokens === 'bytes' ? 256 : schema.vocab.length)

/** `documents` as tokens of `schema`, joined by a blank line; at least one window's worth is required. */
export function tokenize(documents: readonly string[], schema: TextSchema, file: string): TextSamples {
  const joined = documents.join('\n\n')
  let tokens: Uint16Array
  if (schema.tokens === 'bytes') tokens = Uint16Array.from(new TextEncoder().encode(joined))
  else {
    const index = new Map(schema.vocab.map((ch, i) => [ch, i]))
    tokens = Uint16Array.from(joined, (ch) => index.get(ch) ?? 0)
  }
  if (tokens.length < schema.context + 1) throw new DataFormatError(file, `holds ${tokens.length} tokens; one training window needs ${schema.context + 1}`)
  // Characters are code points (an emoji is one): one token each, or each UTF-8 byte that starts one.
  const characters = schema.tokens === 'bytes' ? tokens.reduce((n, b) => n + ((b & 0xc0) === 0x80 ? 0 : 1), 0) : tokens.length
  return { tokens, characters, sources: [{ file, row: 0 }] }
}

export function importText(file: TableFile, schema: TextSchema): TextSamples {
  return tokenize(readTextFile(file), schema, file.name)
}

/** Text from tokens (an unknown character reads as UNKNOWN; bytes that are not UTF-8 as U+FFFD). */
export function detokenize(tokens: ArrayLike<number>, schema: TextSchema): string {
  const ids = Array.from(tokens)
  if (schema.tokens === 'bytes') return new TextDecoder().decode(Uint8Array.from(ids))
  return ids.map((t) => schema.vocab[t] ?? UNKNOWN).join('')
}

/** Start offsets of the windows in a stream: every `stride` tokens while context + 1 tokens remain. */
export function windowStarts(length: number, context: number, stride = context): number[] {
  const starts: number[] = []
  for (let at = 0; at + context + 1 <= length; at += stride) starts.push(at)
  return starts
}

/**
 * One batch for next-token training: x one-hot [rows, context, vocab] of each window's tokens, y one-hot of the
 * token after each (float32: no int64 on WebGPU).
 */
export function windowBatch(tokens: Uint16Array, starts: readonly number[], context: number, vocab: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(starts.length * context * vocab)
  const y = new Float32Array(starts.length * context * vocab)
  starts.forEach((start, r) => {
    if (start < 0 || start + context + 1 > tokens.length) throw new RangeError(`a window at ${start} runs past the ${tokens.length} tokens`)
    for (let t = 0; t < context; t++) {
      const at = (r * context + t) * vocab
      x[at + tokens[start + t]!] = 1
      y[at + tokens[start + t + 1]!] = 1
    }
  })
  return { x, y }
}

/** Bits per character from a mean next-token loss in nats over `tokens` tokens spelling `characters` characters. */
export function bitsPerCharacter(meanLossNats: number, tokens: number, characters: number): number {
  return (meanLossNats * tokens) / characters / Math.LN2
}

/** A token drawn from softmax(logits / temperature); temperature 0 takes the most likely. */
export function sampleToken(logits: ArrayLike<number>, temperature: number, random: () => number): number {
  let best = 0
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i
  if (temperature <= 0) return best
  const weights = Array.from(logits, (l) => Math.exp((l - logits[best]!) / temperature))
  let r = random() * weights.reduce((a, b) => a + b, 0)
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!
    if (r < 0) return i
  }
  return best
}

/**
 * The `length` tokens a language model writes after `prompt` (at least `context` tokens; its last `context` are
 * read): `logits` runs the model on one one-hot window ([context, vocab]) and returns its logits there; the next
 * token is drawn from the last position's softmax at `temperature` from a seeded stream, so a sample repeats.
 * The same loop serves a model in this tab's engine and one whose stages run on other peers.
 */
export async function writeTokens(logits: (x: Float32Array) => Promise<Float32Array>, shape: { context: number; vocab: number }, options: { prompt: ArrayLike<number>; length: number; temperature: number; seed: number }): Promise<Uint16Array> {
  const { context, vocab } = shape
  if (options.prompt.length < context) throw new RangeError(`a prompt needs at least the model's ${context} tokens of context, not ${options.prompt.length}`)
  const bad = Array.from(options.prompt).find((t) => !(Number.isInteger(t) && t >= 0 && t < vocab))
  if (bad !== undefined) throw new RangeError(`the prompt holds token ${bad}, outside the ${vocab}-token vocabulary`)
  const window = Array.from(options.prompt).slice(-context)
  const out = new Uint16Array(options.length)
  const random = seededRandom(options.seed)
  for (let i = 0; i < options.length; i++) {
    const x = new Float32Array(context * vocab)
    window.forEach((t, p) => (x[p * vocab + t] = 1))
    const next = sampleToken((await logits(x)).subarray((context - 1) * vocab, context * vocab), options.temperature, random)
    out[i] = next
    window.shift()
    window.push(next)
  }
  return out
}

/** Strict decoder for a text schema a job carries. */
export function decodeTextSchema(value: unknown): TextSchema {
  const what = 'text schema'
  const obj = asObject(value, what)
  if (obj.kind !== 'text') throw new DecodeError(what, '"kind" must be "text"')
  if (obj.tokens !== 'bytes' && obj.tokens !== 'characters') throw new DecodeError(what, '"tokens" must be "bytes" or "characters"')
  const context = readInteger(obj, 'context', what, 2, 1024)
  if (obj.tokens === 'bytes') return { kind: 'text', tokens: 'bytes', vocab: [], context }
  const vocab = readStringArray(obj, 'vocab', what, MAX_VOCAB, 2)
  if (vocab.length < 2 || vocab[0] !== UNKNOWN) throw new DecodeError(what, `"vocab" must start with "${UNKNOWN}" and hold at least one character`)
  if (vocab.some((ch) => [...ch].length !== 1) || new Set(vocab).size !== vocab.length) throw new DecodeError(what, '"vocab" must hold distinct single characters')
  return { kind: 'text', tokens: 'characters', vocab, context }
}
