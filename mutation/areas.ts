// The areas mutation testing covers: the code that guards money and trust. Each TypeScript area is one
// Stryker run with its own incremental file; `contracts` is the Solidity script (solidity.ts). Adding a file
// to an area is one glob here.
export interface TypeScriptArea {
  kind: 'typescript'
  /** What it guards, for the report. */
  description: string
  /** Stryker `mutate` globs (a `!` excludes). */
  mutate: string[]
  /**
   * The test files that may kill its mutants: the area's own tests, so each area stands on its own tests and
   * a mutant never waits for another area's network or chain tests.
   */
  tests: string[]
}

export interface SolidityArea {
  kind: 'solidity'
  description: string
  /** Contract sources to mutate. */
  sources: string
  /** The tests run against every mutant. */
  tests: string[]
}

export type Area = TypeScriptArea | SolidityArea

const NOT_TESTS = ['!**/*.test.ts', '!**/testing/**']

export const AREAS = {
  training: {
    kind: 'typescript',
    description: 'assignment, intake, verification by the referee, audit draw, reputation, credits, verdicts, aggregation, round close, job and result decoding',
    mutate: ['src/training/**/*.ts', ...NOT_TESTS],
    tests: ['src/training/**/*.test.ts'],
  },
  ledger: {
    kind: 'typescript',
    description: 'wallet bindings (EIP-712), epoch trees and books, escrow calls, earnings from the chain, recomputing roots in an audit',
    mutate: ['src/ledger/**/*.ts', '!src/ledger/generated/**', ...NOT_TESTS],
    tests: ['src/ledger/**/*.test.ts', 'src/roles/{settlement-host,job-audit}.test.ts', 'contracts/*.test.ts'],
  },
  p2p: {
    kind: 'typescript',
    description: 'peer-to-peer codecs and validators: work messages, job gossip, presence, chunked payloads, manifest signatures, topic validators, and the JSON readers and hex they all decode with',
    mutate: ['src/p2p/{work-messages,job-topics,presence,chunked,manifest-signature,gossip-validators}.ts', 'src/{schema,hex}.ts'],
    tests: ['src/p2p/**/*.test.ts', 'src/schema.test.ts'],
  },
  data: {
    kind: 'typescript',
    description: 'validators of contributed and fetched data: IDX, tables (pixel rows and named columns), text, image headers, manifests, samples, shard blocks, gzip, Merkle roots, chunks, and the task layer (task specs, sample formats, TSB2 blocks, task shards, task imports and edits, datasets built from them)',
    mutate: ['src/data/{idx,table,tabular-read,tabular-schema,tabular-samples,text,image-header,manifest,samples,shard-block,gunzip,merkle,chunks,labelled-images,import-files,limits,cid,task,task-block,task-shard,sample-format,task-import,task-sample-set,task-samples,build-dataset}.ts'],
    tests: ['src/data/**/*.test.ts'],
  },
  roles: {
    kind: 'typescript',
    description: 'the coordinator host (signatures, evidence, bindings on the wire), the settlement host and the job audit (log and result signatures, every root recomputed)',
    mutate: ['src/roles/{coordinator-host,settlement-host,job-audit}.ts'],
    tests: ['src/roles/**/*.test.ts'],
  },
  contracts: {
    kind: 'solidity',
    description: 'JobEscrow and JobGovernor, against the anvil contract tests',
    sources: 'contracts/*.sol',
    tests: ['contracts/*.test.ts'],
  },
} satisfies Record<string, Area>

export type AreaName = keyof typeof AREAS
export const AREA_NAMES = Object.keys(AREAS) as AreaName[]
