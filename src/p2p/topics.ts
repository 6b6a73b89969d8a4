// Gossipsub topic names and protocol ids live in one place so that every peer (browser, relay, Node volunteer)
// agrees on them; a version suffix lets us change a schema without confusing old peers.
export const TOPIC_PRESENCE = 'tesserae/presence/1'

export { TOPIC_JOBS, TOPIC_HEADS, TOPIC_METRICS } from './job-topics.ts'
import { TOPIC_JOBS, TOPIC_HEADS, TOPIC_METRICS } from './job-topics.ts'

export const ALL_TOPICS = [TOPIC_PRESENCE, TOPIC_JOBS, TOPIC_HEADS, TOPIC_METRICS] as const
