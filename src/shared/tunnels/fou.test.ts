import { describe } from 'vitest';
import { fou } from './fou.js';
import { kindHarness } from './testing/kind-harness.js';
import { liveProof } from './testing/live-proof.js';
import { udpEncapTests } from './testing/udp-encap-tests.js';

const h = kindHarness(fou);

describe('fou', () => {
  udpEncapTests(h, {
    ifname: 'olfou0',
    encap: 'fou',
    port: 5555,
    // The listener names the inner protocol: IPIP (4) or IPv6-in-IP (41).
    carries: (inner) => `ipproto ${inner === 4 ? 4 : 41}`,
    // Outer IP + UDP 8.
    mtu: { v4: [1472, 8972], v6: [1452, 8952] },
  });
});

liveProof(h, [{}, { mtu: 9000 }]);
