// Text for language modelling: reading plain text and JSONL, the owner's character vocabulary, tokens both ways,
// training windows and their one-hot batches, bits per character, sampling, and the schema's strict decoder.
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import { bitsPerCharacter, characterVocab, decodeTextSchema, detokenize, importText, MAX_VOCAB, readTextFile, sampleToken, tokenize, UNKNOWN, windowBatch, windowStarts, type TextSchema } from './text.ts'
import { readSharedFile } from './testing/shared-files.ts'

const file = (name: string, text: string) => ({ name, bytes: new TextEncoder().encode(text) })
const chars = (vocab: string[], context = 4): TextSchema => ({ kind: 'text', tokens: 'characters', vocab, context })

describe('reading text', () => {
  it('reads plain text with its line endings made "\\n", and the "text" of each JSONL line', () => {
    expect(readTextFile(file('a.txt', 'one\r\ntwo\rthree\n'))).toEqual(['one\ntwo\nthree\n'])
    expect(readTextFile(file('a.jsonl', '{"text": "first\\r\\ndoc"}\n\n{"text": "second\\rline", "id": 2}\n'))).toEqual(['first\ndoc', 'second\nline'])
    // Only a name ending in .jsonl is JSONL.
    expect(readTextFile(file('notes.jsonl.txt', '{"text": "x"}'))).toEqual(['{"text": "x"}'])
  })

  it('refuses a file with no text or a malformed line, naming the file and the line', () => {
    expect(() => readTextFile(file('e.txt', ' \n\n '))).toThrow('e.txt holds no text')
    expect(() => readTextFile(file('e.jsonl', '\n'))).toThrow('e.jsonl holds no text')
    expect(() => readTextFile(file('b.jsonl', '{"text": "ok"}\n{"text": '))).toThrow(/^b\.jsonl line 2 is not valid JSON/)
    expect(() => readTextFile(file('b.jsonl', '{"text": "ok"}\n{"body": "x"}'))).toThrow('b.jsonl line 2 must be an object with a "text" string')
    expect(() => readTextFile(file('b.jsonl', '["text"]'))).toThrow('b.jsonl line 1 must be a JSON object with a "text" string')
    expect(() => readTextFile({ name: 'bin.txt', bytes: Uint8Array.of(0xc3, 0x28) })).toThrow('bin.txt is not UTF-8 text')
  })
})

describe('vocabulary and tokens', () => {
  it('keeps the most frequent characters (ties by code point) in code-point order after the unknown token', () => {
    expect(characterVocab(['abracadabra'], 4)).toEqual([UNKNOWN, 'a', 'b', 'r'])
    // The most frequent, not the first seen: x once, z three times, y four.
    expect(characterVocab(['xzzzyyyy'], 3)).toEqual([UNKNOWN, 'y', 'z'])
    expect(characterVocab(['xzzzyyyy'], 2)).toEqual([UNKNOWN, 'y'])
    expect(characterVocab(['abracadabra'], 5)).toEqual([UNKNOWN, 'a', 'b', 'c', 'r'])
    expect(characterVocab(['ba', 'ab'])).toEqual([UNKNOWN, 'a', 'b'])
    // One code point is one character, even outside the BMP; the unknown sign itself is never a token.
    expect(characterVocab([`x😀😀${UNKNOWN}`])).toEqual([UNKNOWN, 'x', '😀'])
    expect(characterVocab(['ab'], 2)).toEqual([UNKNOWN, 'a'])
    expect(characterVocab(['ab'], MAX_VOCAB)).toHaveLength(3)
    expect(() => characterVocab(['ab'], 1)).toThrow(`a vocabulary holds 2 to ${MAX_VOCAB} tokens, not 1`)
    expect(() => characterVocab(['ab'], MAX_VOCAB + 1)).toThrow(`not ${MAX_VOCAB + 1}`)
  })

  it('tokenizes characters (others as unknown) and bytes, joins documents by a blank line, and reads back', () => {
    const schema = chars([UNKNOWN, 'a', 'b', '\n'], 3)
    const samples = tokenize(['ab', 'ba!'], schema, 'd.txt')
    expect([...samples.tokens]).toEqual([1, 2, 3, 3, 2, 1, 0])
    expect(samples.characters).toBe(7)
    expect(samples.sources).toEqual([{ file: 'd.txt', row: 0 }])
    expect(tokenize(['a😀b'], chars([UNKNOWN, 'a', '😀', 'b'], 2), 'e.txt')).toMatchObject({ tokens: Uint16Array.of(1, 2, 3), characters: 3 })
    expect(detokenize(samples.tokens, schema)).toBe(`ab\n\nba${UNKNOWN}`)
    const bytes: TextSchema = { kind: 'text', tokens: 'bytes', vocab: [], context: 2 }
    const emoji = tokenize(['é😀'], bytes, 'e.txt')
    expect([...emoji.tokens]).toEqual([0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80])
    expect(emoji.characters).toBe(2)
    expect(detokenize(emoji.tokens, bytes)).toBe('é😀')
    // Exactly one window's worth is enough; one token fewer is refused.
    expect(tokenize(['abab'], chars([UNKNOWN, 'a', 'b'], 3), 'w.txt').tokens).toHaveLength(4)
    expect(() => tokenize(['aba'], chars([UNKNOWN, 'a', 'b'], 3), 'w.txt')).toThrow('w.txt holds 3 tokens; one training window needs 4')
    expect(importText(file('f.jsonl', '{"text": "ab"}\n{"text": "ba"}'), chars([UNKNOWN, 'a', 'b', '\n'], 3)).tokens).toEqual(Uint16Array.of(1, 2, 3, 3, 2, 1))
  })
})

describe('training windows', () => {
  it('starts a window every stride tokens while context + 1 remain', () => {
    expect(windowStarts(5, 4)).toEqual([0])
    expect(windowStarts(4, 4)).toEqual([])
    expect(windowStarts(13, 4)).toEqual([0, 4, 8])
    expect(windowStarts(12, 4)).toEqual([0, 4])
    expect(windowStarts(8, 4, 1)).toEqual([0, 1, 2, 3])
  })

  it('one-hot encodes each window and the token after each position', () => {
    const tokens = Uint16Array.of(0, 1, 2, 1, 0)
    const { x, y } = windowBatch(tokens, [0, 2], 2, 3)
    expect([...x]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0])
    expect([...y]).toEqual([0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0])
    // Overlapping windows each get exactly their own positions.
    const overlapping = windowBatch(tokens, [0, 1], 2, 3)
    expect([...overlapping.x]).toEqual([1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1])
    expect([...overlapping.y]).toEqual([0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0])
    expect(() => windowBatch(tokens, [3], 2, 3)).toThrow('a window at 3 runs past the 5 tokens')
    expect(() => windowBatch(tokens, [-1], 2, 3)).toThrow('a window at -1 runs past')
  })

  it('turns a mean loss in nats into bits per character', () => {
    // A uniform guess over 64 characters costs 6 bits each; over bytes of two-byte characters, twice per character.
    expect(bitsPerCharacter(Math.log(64), 100, 100)).toBeCloseTo(6, 12)
    expect(bitsPerCharacter(Math.log(2), 200, 100)).toBeCloseTo(2, 12)
  })

  it('samples the most likely token at temperature 0, and by the softmax otherwise', () => {
    expect(sampleToken([0.1, 3, 2], 0, () => 0.99)).toBe(1)
    // Ties go to the first; a negative temperature is the same as 0.
    expect(sampleToken([1, 3, 3], 0, () => 0.99)).toBe(1)
    expect(sampleToken([0.1, 3, 2], -1, () => 0)).toBe(1)
    // Large logits do not overflow: 1000 and 1001 are 27 % and 73 %.
    expect(sampleToken([1000, 1001], 1, () => 0.2)).toBe(0)
    expect(sampleToken([1000, 1001], 1, () => 0.3)).toBe(1)
    // A token whose probability underflows to 0 is never drawn, even by a draw of exactly 0.
    expect(sampleToken([-1000, 0], 1, () => 0)).toBe(1)
    // A temperature of 0.5 sharpens: e^(2·ln 2) = 4 to 1.
    const sharp = seededRandom(9)
    let second = 0
    for (let i = 0; i < 10_000; i++) second += sampleToken([0, Math.log(2)], 0.5, sharp)
    expect(second / 10_000).toBeCloseTo(0.8, 1)
    const random = seededRandom(5)
    const counts = [0, 0, 0]
    for (let i = 0; i < 20_000; i++) counts[sampleToken([0, Math.log(2), Math.log(7)], 1, random)]!++
    expect(counts[0]! / 20_000).toBeCloseTo(0.1, 1)
    expect(counts[2]! / 20_000).toBeCloseTo(0.7, 1)
    // A draw at the very top of the range still lands on a token.
    expect(sampleToken([0, 0], 1, () => 1 - 1e-16)).toBe(1)
  })
})

describe('the shared text', () => {
  it('covers The Devil\'s Dictionary with a 128-character vocabulary, and a unigram model\'s bits per character match a direct count', async () => {
    const bytes = await readSharedFile('text/devils-dictionary.txt')
    const documents = readTextFile({ name: 'devils-dictionary.txt', bytes })
    const vocab = characterVocab(documents, 128)
    const samples = tokenize(documents, chars(vocab, 128), 'devils-dictionary.txt')
    expect(samples.tokens.every((t) => t > 0)).toBe(true)
    expect(samples.tokens.length).toBe(samples.characters)
    expect(detokenize(samples.tokens, chars(vocab, 128))).toBe(documents[0])
    const counts = new Map<number, number>()
    for (const t of samples.tokens) counts.set(t, (counts.get(t) ?? 0) + 1)
    const n = samples.tokens.length
    let nats = 0
    let bits = 0
    for (const c of counts.values()) {
      nats -= (c / n) * Math.log(c / n)
      bits -= (c / n) * Math.log2(c / n)
    }
    expect(bitsPerCharacter(nats, n, samples.characters)).toBeCloseTo(bits, 9)
    // English prose without context: about 4.4 bits per character, the baseline a model must beat.
    expect(bits).toBeGreaterThan(4)
    expect(bits).toBeLessThan(5)
  })
})

describe('a text schema as a job carries it', () => {
  it('decodes both kinds and refuses each malformed part by name', () => {
    const schema = chars([UNKNOWN, 'a', 'b'], 64)
    expect(decodeTextSchema(JSON.parse(JSON.stringify(schema)))).toEqual(schema)
    expect(decodeTextSchema({ kind: 'text', tokens: 'bytes', context: 2, vocab: ['ignored'] })).toEqual({ kind: 'text', tokens: 'bytes', vocab: [], context: 2 })
    const bad = (patch: Record<string, unknown>) => () => decodeTextSchema({ ...schema, ...patch })
    expect(bad({ kind: 'image' })).toThrow('text schema: "kind" must be "text"')
    expect(bad({ tokens: 'words' })).toThrow('"tokens" must be "bytes" or "characters"')
    expect(bad({ context: 1 })).toThrow('"context"')
    expect(bad({ context: 1025 })).toThrow('"context"')
    expect(decodeTextSchema({ ...schema, context: 1024 }).context).toBe(1024)
    expect(bad({ vocab: ['a', 'b'] })).toThrow(`"vocab" must start with "${UNKNOWN}" and hold at least one character`)
    expect(bad({ vocab: [UNKNOWN] })).toThrow('"vocab" must start with')
    expect(bad({ vocab: [UNKNOWN, 'ab'] })).toThrow('"vocab" must hold distinct single characters')
    expect(bad({ vocab: [UNKNOWN, 'a', 'a'] })).toThrow('"vocab" must hold distinct single characters')
    expect(bad({ vocab: [UNKNOWN, 'abc'] })).toThrow('"vocab[1]" is longer than 2 characters')
    expect(decodeTextSchema({ ...schema, vocab: [UNKNOWN, '😀'] }).vocab).toEqual([UNKNOWN, '😀'])
  })
})
