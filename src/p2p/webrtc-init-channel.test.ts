// @libp2p/webrtc 6.0.33 waits for its 'init' data channel to open after the peer connection is up, but the
// recipient closes that channel the moment it sees it; when the close reaches the dialer first, 'open' never
// fires and the dial hangs to its timeout (a tab dialling the Node coordinator: 8 s lost in about one run in
// three). patches/@libp2p+webrtc+*.patch, applied by `npm install` (patch-package), waits for 'open' or
// 'close'. This test fails when a reinstall or an upgrade leaves the installed code without that fix.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const INSTALLED = new URL('../../node_modules/@libp2p/webrtc/dist/src/private-to-private/initiate-connection.js', import.meta.url)

describe('the WebRTC dialer', () => {
  it('stops waiting for the init channel when the recipient has already closed it', () => {
    const code = readFileSync(INSTALLED, 'utf8')
    expect(code, 'run `npm install` so patch-package applies patches/@libp2p+webrtc+*.patch').toMatch(/await pEvent\(channel, \['open', 'close'\]/)
    expect(code).not.toMatch(/await pEvent\(channel, 'open'/)
  })
})
