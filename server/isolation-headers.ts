// Cross-origin isolation (COOP + COEP) is what unlocks SharedArrayBuffer and therefore multi-threaded wasm;
// every server that serves the app must send exactly these headers.
export const isolationHeaders: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
}
