import { describe } from 'vitest';
import { gue } from './gue.js';
import { kindHarness } from './testing/kind-harness.js';
import { liveProof } from './testing/live-proof.js';
import { udpEncapTests } from './testing/udp-encap-tests.js';

const h = kindHarness(gue);

describe('gue', () => {
  udpEncapTests(h, {
    ifname: 'olgue0',
    encap: 'gue',
    port: 6080,
    // The GUE header names the inner protocol, so one listener takes both.
    carries: () => 'gue',
    // Outer IP + UDP 8 + GUE 4.
    mtu: { v4: [1468, 8968], v6: [1448, 8948] },
  });
});

liveProof(h, [{}, { mtu: 9000 }]);
