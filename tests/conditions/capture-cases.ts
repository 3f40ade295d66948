/** The condition sets whose tc output tests/conditions/capture-tc.ts captures into tests/fixtures/tc/ (and the unit tests read back). */
import type { Condition } from '../../src/shared/conditions.js';
import type { ShapedDevice } from '../../src/shared/conditions-tc.js';

const A4 = '198.18.0.2';
const A6 = 'fd00::3';
const peers = (c4: Condition, c6: Condition): ShapedDevice['peers'] => [
  { peer: 'b', address: A4, family: 4, condition: c4 },
  { peer: 'c', address: A6, family: 6, condition: c6 },
];

/** The condition sets of issue 21's presets and proof, each on an IPv4 and an IPv6 peer. */
export const CAPTURE_CASES: Record<string, ShapedDevice> = {
  'netem-delay-jitter-v4-v6': { device: 'ovc0', mtu: 1500, all: {}, peers: peers({ delay: 20, jitter: 1, distribution: 'normal' }, { delay: 3, jitter: 6, distribution: 'paretonormal', jitterReason: 'Wi-Fi' }) },
  'netem-loss-correlation-v4-v6': { device: 'ovc0', mtu: 1500, all: {}, peers: peers({ loss: 1 }, { loss: 1, lossCorrelation: 25 }) },
  'netem-reorder-corrupt-v4-v6': { device: 'ovc0', mtu: 1500, all: {}, peers: peers({ delay: 10, reorder: 2 }, { corrupt: 0.1 }) },
  // The kernel (6.1.x since the 2025 fix for duplicating netems) takes a duplicating netem only
  // when it is the tree's one netem: alone here, and refused beside another (the next case).
  'netem-duplicate-v4': { device: 'ovc0', mtu: 1500, all: {}, peers: peers({ duplicate: 0.5 }, {}) },
  'netem-duplicate-beside-other-netem': { device: 'ovc0', mtu: 1500, all: {}, peers: peers({ delay: 10, duplicate: 0.5 }, { loss: 1 }) },
  'netem-rate-delay-loss-v4-v6': { device: 'ovc0', mtu: 1500, all: {}, peers: peers({ delay: 20, loss: 1, rate: 50 }, { delay: 75, jitter: 2, distribution: 'pareto', loss: 0.05, rate: 20 }) },
  'netem-uplink-all-v4-v6': { device: 'ovc0', mtu: 1500, all: { delay: 10, rate: 10 }, peers: peers({ delay: 20, loss: 0.1 }, {}) },
  'htb-rate-only-v4-v6': { device: 'ovc0', mtu: 1500, all: { rate: 200 }, peers: peers({ rate: 50 }, { rate: 20 }) },
};

