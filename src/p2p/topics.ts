// Gossipsub topic names and protocol ids live in one place so that every peer (browser, relay, Node volunteer)
// agrees on them; a version suffix lets us change a schema without confusing old peers.
export const TOPIC_PRESENCE = 'tesserae/presence/1'

export const ALL_TOPICS = [TOPIC_PRESENCE] as const
