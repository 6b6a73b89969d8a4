// The network namespace the e2e suite runs Chromium in: only loopback and a veth pair, so WebRTC can gather ICE
// candidates (Chromium needs a default route) but cannot send a packet anywhere else.
export const NAMESPACE_SETUP = [
  'ip link set lo up',
  'ip link add veth0 type veth peer name veth1',
  'ip addr add 10.77.0.1/24 dev veth0',
  'ip addr add 10.77.0.2/24 dev veth1',
  'ip link set veth0 up',
  'ip link set veth1 up',
  'ip route add default dev veth0',
].join(' && ')
