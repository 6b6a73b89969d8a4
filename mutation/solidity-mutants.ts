// Mutants of a Solidity source, for contracts Stryker cannot reach: the classic operators, each a small
// change of the kind a real bug is (a flipped comparison, a dropped check or modifier, a changed constant, a
// swapped sign, a lost assignment, transfer or event). Works on tokens of the source with comments and
// strings blanked out, so it needs no compiler and keeps working whatever the contracts become.
// `// mutation-ignore-next-line: <reason>` exempts the next line (say why: an equivalent mutant, say).

export type SolidityOperator = 'relational' | 'logical' | 'arithmetic' | 'condition' | 'modifier' | 'constant' | 'boolean' | 'statement'

export interface SolidityMutant {
  operator: SolidityOperator
  /** 1-based line and column of the change. */
  line: number
  column: number
  /** Offsets into the source of the text replaced. */
  start: number
  end: number
  original: string
  replacement: string
}

interface Token {
  kind: 'word' | 'number' | 'punct'
  text: string
  start: number
  end: number
}

/** Longest first, so `>>=` is never read as `>` `>=`. */
const PUNCTUATION = ['>>=', '<<=', '**', '++', '--', '+=', '-=', '*=', '/=', '%=', '==', '!=', '<=', '>=', '&&', '||', '=>', '<<', '>>', '->']

const FLIP: Record<string, string[]> = {
  '<': ['<=', '>='],
  '<=': ['<', '>'],
  '>': ['>=', '<='],
  '>=': ['>', '<'],
  '==': ['!='],
  '!=': ['=='],
}
const LOGICAL: Record<string, string> = { '&&': '||', '||': '&&' }
const ARITHMETIC: Record<string, string> = { '+': '-', '-': '+', '*': '/', '/': '*', '+=': '-=', '-=': '+=', '++': '--', '--': '++' }
const ASSIGNMENTS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>='])
/** Words in a function header that are not modifiers. */
const HEADER_KEYWORDS = new Set(['public', 'external', 'internal', 'private', 'view', 'pure', 'payable', 'virtual', 'override', 'returns', 'memory', 'calldata', 'storage'])
/** Statements that start with these are control flow or declarations, not deletable effects. */
const NOT_DELETABLE = new Set(['return', 'revert', 'if', 'else', 'for', 'while', 'do', 'require', 'assert', 'unchecked', 'try', 'catch', 'assembly', 'break', 'continue'])

/** The source with comments and string literals replaced by spaces (newlines kept), and the lines exempted. */
export function blankNonCode(source: string): { code: string; ignoredLines: Set<number> } {
  const out = source.split('')
  const ignoredLines = new Set<number>()
  const lineAt = (i: number) => source.slice(0, i).split('\n').length
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' '
  }
  let i = 0
  while (i < source.length) {
    const two = source.slice(i, i + 2)
    if (two === '//') {
      const end = source.indexOf('\n', i) === -1 ? source.length : source.indexOf('\n', i)
      if (/^\/\/\s*mutation-ignore-next-line\b/.test(source.slice(i, end))) ignoredLines.add(lineAt(i) + 1)
      blank(i, end)
      i = end
    } else if (two === '/*') {
      const close = source.indexOf('*/', i + 2)
      const end = close === -1 ? source.length : close + 2
      blank(i, end)
      i = end
    } else if (source[i] === '"' || source[i] === "'") {
      const quote = source[i]
      let j = i + 1
      while (j < source.length && source[j] !== quote) j += source[j] === '\\' ? 2 : 1
      blank(i, Math.min(j + 1, source.length))
      i = j + 1
    } else i++
  }
  // pragma and import directives are not code to mutate.
  const code = out.join('').replace(/^\s*(pragma|import)\b[^;]*;/gm, (m) => m.replace(/[^\n]/g, ' '))
  return { code, ignoredLines }
}

export function tokenize(code: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < code.length) {
    const c = code[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(code.slice(i, i + 128))
    if (word) {
      tokens.push({ kind: 'word', text: word[0], start: i, end: i + word[0].length })
      i += word[0].length
      continue
    }
    const number = /^(0x[0-9a-fA-F_]+|[0-9][0-9_]*(\.[0-9_]+)?(e[0-9]+)?)/.exec(code.slice(i, i + 128))
    if (number) {
      tokens.push({ kind: 'number', text: number[0], start: i, end: i + number[0].length })
      i += number[0].length
      continue
    }
    const punct = PUNCTUATION.find((p) => code.startsWith(p, i)) ?? c
    tokens.push({ kind: 'punct', text: punct, start: i, end: i + punct.length })
    i += punct.length
  }
  return tokens
}

/** Index of the token closing the bracket opened at `open`. */
function closing(tokens: readonly Token[], open: number): number {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' }
  const want = pairs[tokens[open]!.text]!
  let depth = 0
  for (let k = open; k < tokens.length; k++) {
    if (tokens[k]!.text === tokens[open]!.text) depth++
    else if (tokens[k]!.text === want && --depth === 0) return k
  }
  return tokens.length - 1
}

/** A binary operator follows an operand: a name, a number or a closing bracket. */
const isOperand = (t: Token | undefined) => t !== undefined && (t.kind !== 'punct' || t.text === ')' || t.text === ']')

export function solidityMutants(source: string): SolidityMutant[] {
  const { code, ignoredLines } = blankNonCode(source)
  const tokens = tokenize(code)
  const lineStarts = [0]
  for (let k = 0; k < source.length; k++) if (source[k] === '\n') lineStarts.push(k + 1)
  const position = (offset: number) => {
    let line = lineStarts.length - 1
    while (lineStarts[line]! > offset) line--
    return { line: line + 1, column: offset - lineStarts[line]! + 1 }
  }
  const mutants: SolidityMutant[] = []
  const add = (operator: SolidityOperator, start: number, end: number, replacement: string) => {
    const at = position(start)
    if (ignoredLines.has(at.line)) return
    mutants.push({ operator, ...at, start, end, original: source.slice(start, end), replacement })
  }

  tokens.forEach((t, k) => {
    const before = tokens[k - 1]
    if (t.kind === 'punct') {
      for (const flipped of FLIP[t.text] ?? []) add('relational', t.start, t.end, flipped)
      if (LOGICAL[t.text]) add('logical', t.start, t.end, LOGICAL[t.text]!)
      const binary = t.text === '+' || t.text === '-' || t.text === '*' || t.text === '/'
      if (ARITHMETIC[t.text] && (!binary || isOperand(before))) add('arithmetic', t.start, t.end, ARITHMETIC[t.text]!)
      // A negated condition loses its `!`.
      if (t.text === '!') add('logical', t.start, t.end, '')
    } else if (t.kind === 'number' && !t.text.startsWith('0x') && !t.text.includes('.')) {
      const value = BigInt(t.text.replaceAll('_', '').replace(/e(\d+)$/, (_, e: string) => '0'.repeat(Number(e))))
      add('constant', t.start, t.end, String(value + 1n))
      if (value > 0n) add('constant', t.start, t.end, String(value - 1n))
    } else if (t.text === 'true' || t.text === 'false') {
      add('boolean', t.start, t.end, t.text === 'true' ? 'false' : 'true')
    } else if ((t.text === 'if' || t.text === 'while') && tokens[k + 1]?.text === '(') {
      const close = closing(tokens, k + 1)
      const from = tokens[k + 2]!.start
      const to = tokens[close - 1]!.end
      add('condition', from, to, 'false')
      // Forcing a guard (`if (…) revert`) to true reverts every call: every test notices, so it proves nothing.
      const guard = tokens[close + 1]?.text === 'revert' || (tokens[close + 1]?.text === '{' && tokens[close + 2]?.text === 'revert')
      if (!guard) add('condition', from, to, 'true')
    } else if ((t.text === 'require' || t.text === 'assert') && tokens[k + 1]?.text === '(') {
      // The condition is the first argument: up to the first comma outside brackets.
      const close = closing(tokens, k + 1)
      let end = close
      for (let m = k + 2, depth = 0; m < close; m++) {
        const x = tokens[m]!.text
        if (x === '(' || x === '[' || x === '{') depth++
        else if (x === ')' || x === ']' || x === '}') depth--
        else if (x === ',' && depth === 0) {
          end = m
          break
        }
      }
      add('condition', tokens[k + 2]!.start, tokens[end - 1]!.end, 'true')
    } else if (t.text === 'function' && before?.text !== '(') {
      mutateModifiers(tokens, k, add)
    }
  })
  mutateStatements(tokens, add)
  return mutants.sort((a, b) => a.start - b.start || a.replacement.localeCompare(b.replacement))
}

/** Removes each modifier invocation in the header of the function declared at `k` (`onlyOwner(jobId)`, `nonReentrant`). */
function mutateModifiers(tokens: readonly Token[], k: number, add: (op: SolidityOperator, start: number, end: number, replacement: string) => void): void {
  const params = tokens.findIndex((t, i) => i > k && t.text === '(')
  if (params === -1) return
  let m = closing(tokens, params) + 1
  while (m < tokens.length && tokens[m]!.text !== '{' && tokens[m]!.text !== ';') {
    const t = tokens[m]!
    if (t.text === 'returns' || t.text === 'override') {
      m = tokens[m + 1]?.text === '(' ? closing(tokens, m + 1) + 1 : m + 1
      continue
    }
    if (t.kind === 'word' && !HEADER_KEYWORDS.has(t.text)) {
      const end = tokens[m + 1]?.text === '(' ? closing(tokens, m + 1) : m
      add('modifier', t.start, tokens[end]!.end, '')
      m = end + 1
      continue
    }
    m++
  }
}

/**
 * Deletes statements with an effect inside function bodies: assignments, `delete`, `x++`, calls (a transfer,
 * a hook) and `emit`. Declarations (`uint256 x = …`) and control flow are left alone.
 */
function mutateStatements(tokens: readonly Token[], add: (op: SolidityOperator, start: number, end: number, replacement: string) => void): void {
  let depth = 0
  let parens = 0
  let startOf = -1
  let inFunction = -1
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!
    if (t.text === 'function' || t.text === 'modifier' || t.text === 'constructor') inFunction = depth
    if (t.text === '(') parens++
    else if (t.text === ')') parens--
    if (parens > 0) continue
    if (t.text === '{' || t.text === '}' || t.text === ';') {
      if (t.text === ';' && startOf !== -1 && inFunction !== -1 && depth > inFunction) {
        const statement = tokens.slice(startOf, k)
        if (deletable(statement)) add('statement', statement[0]!.start, t.end, '')
      }
      if (t.text === '{') depth++
      if (t.text === '}') {
        depth--
        if (depth <= inFunction) inFunction = -1
      }
      startOf = k + 1
    }
  }
}

function deletable(statement: readonly Token[]): boolean {
  const first = statement[0]
  if (!first || first.kind !== 'word' || NOT_DELETABLE.has(first.text) || first.text === '_') return false
  if (first.text === 'emit' || first.text === 'delete') return true
  const assignment = statement.findIndex((t) => ASSIGNMENTS.has(t.text))
  const head = assignment === -1 ? statement : statement.slice(0, assignment)
  // `Type name` or `Type storage name` before the `=` (or alone) declares a variable.
  const declares = head.some((t, i) => i > 0 && t.kind === 'word' && head[i - 1]!.kind === 'word') || head[0]?.text === '('
  if (declares) return false
  return assignment !== -1 || statement.some((t) => t.text === '(') || statement.some((t) => t.text === '++' || t.text === '--')
}
