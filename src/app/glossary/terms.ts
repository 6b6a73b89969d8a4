// The protocol words the pages use, each explained once in plain language. Pages mark a word with <Term>;
// the footer lists them all. Adding a word is one row here.
export const GLOSSARY = {
  diloco: { word: 'DiLoCo', text: 'Distributed Low-Communication training: each volunteer trains its own copy of the model for H steps, and only the change it made (a "delta") is sent back, not every step\'s gradients. The coordinator averages the deltas once per round.' },
  h: { word: 'H', text: 'Inner steps: how many training steps one work unit runs on a volunteer before its delta is sent. Larger H means less traffic and longer units.' },
  unit: { word: 'unit', text: 'One piece of work: H training steps on a few data shards, starting from the round\'s model version. A volunteer is credited for each unit the coordinator accepts.' },
  round: { word: 'round', text: 'One cycle of the job: the coordinator hands out units, collects and checks the deltas, combines them into the next model version, and starts again. A round closes when all units are done or at its deadline.' },
  version: { word: 'model version', text: 'The model after a round closed: version N is what N rounds of combined deltas made of the starting model.' },
  outerNesterov: { word: 'outer Nesterov momentum', text: 'How the coordinator applies a round\'s averaged delta to the model: like an optimizer step with momentum that looks one step ahead, so progress carries over from round to round.' },
  outerLr: { word: 'outer learning rate', text: 'How far the coordinator moves the model along the averaged delta each round (1 applies it fully).' },
  aggregator: { word: 'aggregator', text: 'The rule that combines a round\'s deltas. "centred-clip" clips deltas that sit far from the rest, so a few bad volunteers cannot drag the model away.' },
  audit: { word: 'audit', text: 'The coordinator\'s referee re-runs a unit step by step from the volunteer\'s committed checkpoints and compares. New volunteers\' first units, suspicious results and a random share (the audit rate) are audited.' },
  auditRate: { word: 'audit rate', text: 'The share of ordinary units the referee re-runs to check them, drawn after each result is committed, so nobody knows in advance which.' },
  referee: { word: 'referee', text: 'The coordinator\'s own engine that re-executes audited units. Its verdict is the only one that can cost a volunteer anything.' },
  verified: { word: 'verified credit', text: 'FLOPs of accepted units backed by a passed audit of that unit or a later one. Only verified credit is paid; the rest waits as "pending" for the volunteer\'s next passed audit.' },
  reputation: { word: 'reputation', text: 'A score the coordinator keeps per volunteer, starting at 1: rejected work lowers it, accepted work slowly restores it, and a volunteer that falls too low or is caught cheating is excluded.' },
  redundancy: { word: 'redundancy', text: 'Giving the same unit to more than one volunteer (speculatively, when one is slow) so a round is not held up; only the first accepted result counts.' },
  shard: { word: 'shard', text: 'A block of labelled training samples, addressed by the hash of its content (a CID), fetched from whoever holds it.' },
  merkleRoot: { word: 'Merkle root', text: 'One hash that commits to a whole list (a dataset\'s chunks, or an epoch\'s payouts): changing any entry changes the root, and anyone can prove an entry belongs to it with a short proof.' },
  epoch: { word: 'epoch', text: 'A settlement period: after a round closes, the coordinator posts on chain one Merkle root of what every wallet has earned so far. After the challenge period, wallets claim from it.' },
  challengePeriod: { word: 'challenge period', text: 'Time after an epoch root is posted during which governance can veto it before anyone can claim from it.' },
  escrow: { word: 'escrow', text: 'The job\'s reward pool, locked in the JobEscrow contract on chain. It can only go to wallets through posted epoch roots, or back to the owner after the job\'s deadline.' },
  relay: { word: 'relay', text: 'A server that browsers reach first; it passes the messages that set up direct WebRTC connections and gossip, never the training traffic itself.' },
  gossip: { word: 'gossip', text: 'Messages spread peer to peer (gossipsub): job announcements, presence and the coordinator\'s metrics, each signed by its sender.' },
  block: { word: 'block', text: 'The chain\'s unit of progress: a batch of transactions. The status bar shows the chain\'s id and its latest block number.' },
  flop: { word: 'GFLOP', text: 'Billions of floating-point operations: the measure of training work done, and what volunteers are paid by.' },
} as const satisfies Record<string, { word: string; text: string }>

export type GlossaryKey = keyof typeof GLOSSARY
