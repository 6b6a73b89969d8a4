// A small internet in network namespaces, built with iproute2 and nftables for the NAT e2e:
//
//   home1 10.0.1.2 ── router1 (NAT) 198.51.100.2 ──┐                  ┌── 198.51.100.6 router2 (NAT) ── home2 10.0.2.2
//                                                  └─ public (routes) ┘
//                                                     203.0.113.1: app server, relay, chain, STUN + TURN (coturn)
//
// Each router masquerades its home behind its WAN address and drops unsolicited packets, as home routers do.
// "cone" keeps a home's source port towards every destination (Linux's default), so STUN hole punching
// works; "symmetric" picks a random port per destination, so a peer's view of our address is never the STUN
// server's and only TURN gets through. The public namespace counts the UDP bytes that go home to home
// directly and the bytes that go to the TURN server: which path WebRTC took.
import { execFileSync } from 'node:child_process'
import { writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'

export const PUBLIC_IP = '203.0.113.1'
export const TURN_PORT = 3478
const WAN = ['198.51.100.2', '198.51.100.6'] as const
export type NatKind = 'cone' | 'symmetric'

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function inNs(ns: string, command: string, args: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, command, ...args], { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString()
}

export interface NatTopology {
  pub: string
  homes: readonly [string, string]
  setNat(kind: NatKind): void
  /** UDP bytes so far: home to home without a relay, and to the TURN server. */
  udpBytes(): { direct: number; turn: number }
  resetCounters(): void
  /** A Chromium that runs inside `ns` (Playwright launches it through this script). */
  chromiumIn(ns: string, dir: string): Promise<string>
  destroy(): void
}

/** Checks what the NAT e2e needs, so a machine without it fails with the fix rather than a riddle. */
export function assertNatTools(): void {
  for (const [tool, pkg] of [['ip', 'iproute2'], ['nft', 'nftables'], ['turnserver', 'coturn']] as const) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    } catch (error) {
      throw new Error(`the NAT e2e needs ${tool} (Debian package ${pkg}); .ci/run installs it, or: apt-get install -y ${pkg}`, { cause: error })
    }
  }
}

export function buildNatTopology(prefix: string): NatTopology {
  const pub = `${prefix}pub`
  const routers = [`${prefix}r1`, `${prefix}r2`] as const
  const homes = [`${prefix}h1`, `${prefix}h2`] as const
  const all = [pub, ...routers, ...homes]
  const destroy = () => {
    for (const ns of all) {
      try {
        ip('netns', 'del', ns)
      } catch {
        // Not created (a failed build) or already gone: nothing to remove.
      }
    }
  }
  try {
    for (const ns of all) {
      ip('netns', 'add', ns)
      ip('-n', ns, 'link', 'set', 'lo', 'up')
    }
    ip('-n', pub, 'addr', 'add', `${PUBLIC_IP}/32`, 'dev', 'lo')
    inNs(pub, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
    for (const [i, router] of routers.entries()) {
      const home = homes[i]!
      const [pubSide, wan] = [i === 0 ? '198.51.100.1' : '198.51.100.5', WAN[i]!]
      ip('link', 'add', `wan${i}`, 'netns', pub, 'type', 'veth', 'peer', 'name', 'wan', 'netns', router)
      ip('-n', pub, 'addr', 'add', `${pubSide}/30`, 'dev', `wan${i}`)
      ip('-n', pub, 'link', 'set', `wan${i}`, 'up')
      ip('-n', router, 'addr', 'add', `${wan}/30`, 'dev', 'wan')
      ip('-n', router, 'link', 'set', 'wan', 'up')
      ip('-n', router, 'route', 'add', 'default', 'via', pubSide)
      ip('link', 'add', 'lan', 'netns', router, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', home)
      ip('-n', router, 'addr', 'add', `10.0.${i + 1}.1/24`, 'dev', 'lan')
      ip('-n', router, 'link', 'set', 'lan', 'up')
      ip('-n', home, 'addr', 'add', `10.0.${i + 1}.2/24`, 'dev', 'eth0')
      ip('-n', home, 'link', 'set', 'eth0', 'up')
      ip('-n', home, 'route', 'add', 'default', 'via', `10.0.${i + 1}.1`)
      inNs(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
    }
    inNs(pub, 'nft', ['-f', '-'], `table inet tesserae {
  counter direct {}
  counter turn {}
  chain forward { type filter hook forward priority 0; ip saddr { ${WAN.join(', ')} } ip daddr { ${WAN.join(', ')} } meta l4proto udp counter name "direct"; }
  chain input { type filter hook input priority 0; udp dport ${TURN_PORT} counter name "turn"; }
}
`)
  } catch (error) {
    destroy()
    throw error
  }

  const counterBytes = (json: string, name: string) => {
    const found = (JSON.parse(json) as { nftables: Array<{ counter?: { name: string; bytes: number } }> }).nftables.find((e) => e.counter?.name === name)
    return found?.counter?.bytes ?? 0
  }

  return {
    pub,
    homes,
    setNat(kind) {
      for (const router of routers) {
        inNs(router, 'nft', ['-f', '-'], `table ip nat
delete table ip nat
table ip nat {
  chain postrouting {
    type nat hook postrouting priority 100;
    oifname "wan" masquerade${kind === 'symmetric' ? ' random' : ''}
  }
  chain input {
    type filter hook input priority 0;
    # Unsolicited packets to the router itself are dropped before conntrack confirms them, as home routers
    # do. Otherwise a peer's first hole-punching packet, arriving before ours left, would claim the very
    # port mapping our reply needs, and Linux would remap it.
    iifname "wan" ct state new drop
  }
}
`)
      }
    },
    udpBytes() {
      const json = inNs(pub, 'nft', ['-j', 'list', 'counters', 'table', 'inet', 'tesserae'])
      return { direct: counterBytes(json, 'direct'), turn: counterBytes(json, 'turn') }
    },
    resetCounters() {
      inNs(pub, 'nft', ['reset', 'counters', 'table', 'inet', 'tesserae'])
    },
    async chromiumIn(ns, dir) {
      const script = join(dir, `chromium-${ns}.sh`)
      await writeFile(script, `#!/bin/sh\nexec ip netns exec ${ns} ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} "$@"\n`)
      await chmod(script, 0o755)
      return script
    },
    destroy,
  }
}
