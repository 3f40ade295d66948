import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastParse, fullParse, parseProject, serializeProject } from './document.js';
import type { Topology } from './schema.js';
import { SHAPES } from './schema.js';
import { makeTemplate } from './templates.js';
import { defaultRegistry } from './tunnels/index.js';

const parse = (text: string) => parseProject(text, defaultRegistry);

const parsedTopology = (text: string): Topology => {
  const r = parse(text);
  expect(r.diagnostics.filter((d) => d.severity === 'error'), text).toEqual([]);
  return r.value!.topology;
};

const template = (shape: (typeof SHAPES)[number], hosts: number): Topology =>
  makeTemplate({ template: shape, hosts: shape === 'site-to-site' ? 2 : hosts, kind: 'clean' }, defaultRegistry).value!;

/** Uses every optional part of the model, so the round trip covers them too. */
const EVERYTHING = `schemaVersion: 5
name: "every field: quoted, #hash, ünïcode"
shape: hub-spoke
underlay: { subnet: 172.16.0.0/16, mtu: 9000 }
pools: { tunnels: 10.200.0.0/16 }
lab: { management: 10.254.0.0/24 }
hosts:
  - name: hub
    role: hub
    target: { type: ssh, address: r1.lab.example, port: 2222, user: admin, identityFile: ~/.ssh/lab, sudo: true, password: true }
    lan: 10.1.0.0/24
    underlay: { interface: ens3, address: 172.16.0.1 }
    os: { firewall: iptables }
    position: { x: -12.5, y: 40 }
  - name: spoke-1
    role: spoke
    lan: fd00:1::/64
links:
  - { a: hub, b: spoke-1, kind: clean, mtu: 1280 }
measurement:
  tools: [ping, netperf]
  duration: 30
  pingCount: 1000
  pingInterval: 0.01
  udpBandwidth: 500M
  parallel: 4
  pairs: all-pairs
  repetitions: 3
`;

describe('YAML round trip', () => {
  it.each([...SHAPES.map((s) => [s, template(s, 5)] as const)])('a %s template serialises to a fixed point', (_s, t) => {
    const once = serializeProject(t);
    const again = serializeProject(parsedTopology(once));
    expect(again).toBe(once);
  });

  it('keeps every optional field through text and back', () => {
    const t = parsedTopology(EVERYTHING);
    const text = serializeProject(t);
    expect(parsedTopology(text)).toEqual(t);
    expect(serializeProject(parsedTopology(text))).toBe(text);
    expect(t.hosts[0]!.target).toEqual({ type: 'ssh', address: 'r1.lab.example', port: 2222, user: 'admin', identityFile: '~/.ssh/lab', sudo: true, password: true });
    expect(t.name).toBe('every field: quoted, #hash, ünïcode');
  });

  it('writes the defaults a hand-written file left out, and reads them back to an equal model', () => {
    const hand = 'schemaVersion: 5\nname: minimal\nshape: site-to-site\nhosts: [{ name: a }, { name: b }]\nlinks: [{ a: a, b: b, kind: clean }]\n';
    const t = parsedTopology(hand);
    const text = serializeProject(t);
    for (const filled of ['mtu: 1500', 'subnet: 198.18.0.0/20', 'tunnels: 198.19.0.0/16', 'management: 198.18.240.0/20', 'role: peer', 'type: lab', 'interface: eth0', 'firewall: nftables', 'options: {}', 'measurement:']) {
      expect(text).toContain(filled);
    }
    expect(parsedTopology(text)).toEqual(t);
  });

  it('gives the same bytes whatever the key order of the source', () => {
    const one = 'schemaVersion: 5\nname: n\nshape: site-to-site\nhosts: [{ name: a, lan: 10.0.1.0/24 }, { name: b }]\nlinks: [{ a: a, b: b, kind: clean }]\n';
    const two = 'links: [{ kind: clean, b: b, a: a }]\nhosts: [{ lan: 10.0.1.0/24, name: a }, { name: b }]\nshape: site-to-site\nname: n\nschemaVersion: 5\n';
    expect(serializeProject(parsedTopology(two))).toBe(serializeProject(parsedTopology(one)));
  });

  it('starts the file with a comment that points at the format', () => {
    expect(serializeProject(template('mesh', 3)).split('\n')[0]).toMatch(/^# Overlab project/);
  });
});

describe('positions', () => {
  const BROKEN = [
    'schemaVersion: 5', //     1
    'name: x', //              2
    'shape: mesh', //          3
    'hosts:', //               4
    '  - name: a', //          5
    '  - name: Bad', //        6
    '    tunel: wireguard', // 7
    '  - name: c', //          8
    'links:', //               9
    '  - { a: a, b: zz, kind: clean }', // 10
    '  - a: a', //            11
    '    b: c', //            12
    '    kind: nope', //      13
    '',
  ].join('\n');

  it('places each diagnostic at the line and column of its field', () => {
    const ds = parse(BROKEN).diagnostics;
    const at = (code: string) => ds.find((d) => d.code === code);
    expect(at('invalid-format')).toMatchObject({ path: 'hosts[1].name', line: 6, column: 11 });
    expect(at('unknown-host')).toMatchObject({ path: 'links[0].b', line: 10, column: 16 });
    expect(at('unknown-kind')).toMatchObject({ path: 'links[1].kind', line: 13, column: 11 });
    // The unknown key's line (the value or the key; either points the reader at it).
    expect(at('unknown-field')).toMatchObject({ path: 'hosts[1].tunel', line: 7 });
  });

  it('lists problems in reading order', () => {
    const lines = parse(BROKEN).diagnostics.map((d) => d.line ?? Infinity);
    expect(lines).toEqual([...lines].sort((x, y) => x - y));
  });

  it('places a problem with a missing field at its parent', () => {
    const d = parse('schemaVersion: 5\nname: x\nshape: site-to-site\nhosts:\n  - name: a\n  - lan: 10.0.0.0/24\nlinks: [{ a: a, b: a, kind: clean }]\n').diagnostics.find((x) => x.code === 'required');
    expect(d).toMatchObject({ path: 'hosts[1].name', line: 6, column: 5 });
  });

  it('reports text that is not YAML as yaml-syntax with a line and column', () => {
    const ds = parse('a: [1,\n  b: {').diagnostics;
    expect(ds.length).toBeGreaterThan(0);
    for (const d of ds) {
      expect(d.code).toBe('yaml-syntax');
      expect(d.path).toBe('');
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
      expect(d.message).toMatch(/not valid YAML/);
    }
    expect(ds[0]!.line).toBe(2);
  });

  it('does not repeat the position inside the message', () => {
    for (const d of parse('a: [1,\n  b: {').diagnostics) expect(d.message).not.toMatch(/line \d+, column \d+/);
  });

  it('reports a duplicate key at the second occurrence', () => {
    const ds = parse('schemaVersion: 5\nname: x\nname: y\nshape: mesh\nhosts: [{ name: a }]\n').diagnostics;
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: 'yaml-syntax', line: 3, column: 1 });
    expect(ds[0]!.message).toMatch(/unique/);
  });

  it.each([
    ['a scalar', '42\n'],
    ['a string', 'hello\n'],
    ['a list', '- name: a\n- name: b\n'],
    ['an empty file', ''],
    ['only a comment', '# nothing here\n'],
  ])('refuses %s at the top level as not-a-mapping', (_what, text) => {
    const ds = parse(text).diagnostics;
    expect(ds.map((d) => [d.code, d.path])).toEqual([['not-a-mapping', '']]);
  });

  it('returns no value when there is an error, and the value with its warnings otherwise', () => {
    expect(parse(BROKEN).value).toBeUndefined();
    const r = parse('schemaVersion: 5\nname: x\nshape: mesh\nhosts: [{ name: a }, { name: b }, { name: c }]\nlinks: [{ a: a, b: b, kind: clean }]\n');
    expect(r.value?.topology.hosts).toHaveLength(3);
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([['warning', 'mesh-incomplete', 5]]);
  });

  it('refuses an alias bomb with a diagnostic instead of expanding it or throwing', () => {
    // Eight levels of ten aliases each would expand to 10^8 items.
    const levels = 'abcdefgh';
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...levels.slice(1).split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${levels[i]!}`).join(', ')}]`),
      '',
    ].join('\n');
    const ds = parse(bomb).diagnostics;
    expect(ds.map((d) => [d.code, d.path])).toEqual([['yaml-syntax', '']]);
  });

  it('reports an alias to no anchor as yaml-syntax at the alias, without throwing', () => {
    const ds = parse('schemaVersion: 5\nname: x\nshape: *nope\n').diagnostics;
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: 'yaml-syntax', line: 3, column: 8 });
    expect(ds[0]!.message).toContain('nope');
  });
});

// Counterexamples of the injection fuzz (tests/fuzz/injection.ts), kept as regular tests.
describe('hostile text in overlab.yaml (found by the injection fuzz)', () => {
  const base = (pingCount: string): string =>
    ['schemaVersion: 5', 'name: x', 'shape: site-to-site', 'hosts: [{ name: a }, { name: b }]', 'links: [{ a: a, b: b, kind: clean }]', 'measurement:', `  pingCount: ${pingCount}`, ''].join('\n');

  it('refuses a line of nested flow collections as YAML it cannot read, where the parser used to overflow its stack', () => {
    // The fuzz's counterexample, shrunk: a test's field, then the next test of the list.
    const text = [...base('100').split('\n').slice(0, -1), '  suites:', '    mine:', '      tests:', '        - tool: ping', `          count: ${'{a: b}='.repeat(3000)}{a: b}`, '          interval: 1', '        - tool: iperf3', '          protocol: tcp', ''].join('\n');
    const r = parse(text);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.every((d) => d.code === 'yaml-syntax')).toBe(true);
  });

  it("gives the parser's message about pasted text on one line, escaped and cut", () => {
    const pasted = `>-${'x\u202e\u0085\u009b'.repeat(3000)}`;
    const ds = parse(base(pasted)).diagnostics;
    expect(ds.length).toBeGreaterThan(0);
    for (const d of ds) {
      // eslint-disable-next-line no-control-regex -- the point is to find control characters
      expect(d.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
      expect(d.message.length).toBeLessThan(300);
    }
  });

  it.each(['null', '~', 'NULL'])('reads a suite named %s the same way by the fast read and the full one (js-yaml made it "null", yaml "")', (key) => {
    const text = [...base('100').split('\n').slice(0, -1), '  suites:', `    ${key}:`, '      tests: [{ tool: ping, count: 1, interval: 1 }]', ''].join('\n');
    const full = fullParse(text, defaultRegistry);
    expect(full.value).toBeUndefined();
    expect(fastParse(text, defaultRegistry, { warningPositions: false })).toBeUndefined();
    expect(parse(text)).toEqual(full);
  });

  it("places a refused key whose value is a mapping at the key's line, not at its value's", () => {
    const text = [...base('100').split('\n').slice(0, -1), '  suites:', '    Bad Name:', '      tests: [{ tool: ping, count: 1, interval: 1 }]', ''].join('\n');
    const d = parse(text).diagnostics.find((x) => x.code === 'invalid-key');
    expect(d).toMatchObject({ path: 'measurement.suites["Bad Name"]', line: 9, column: 5 });
  });
});

describe('the fast read (js-yaml) against the full read (yaml Document)', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const files = [
    ...['resources/examples', 'tests/golden'].flatMap((top) =>
      readdirSync(path.join(root, top), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(root, top, e.name, 'overlab.yaml'))
        // (The conditions goldens hold tc scripts built from code, not a project file.)
        .filter((f) => existsSync(f)),
    ),
  ];
  /** Whether the fast read took the file (with and without warning positions). */
  const same = (text: string): [boolean, boolean] => {
    const full = fullParse(text, defaultRegistry);
    const fast = parseProject(text, defaultRegistry);
    expect(fast).toEqual(full);
    // Without positions for warnings: the same model and the same problems, lines aside.
    const unplaced = parseProject(text, defaultRegistry, { warningPositions: false });
    expect(unplaced.value).toEqual(full.value);
    const bare = (ds: readonly { line?: number; column?: number }[]) => ds.map(({ line: _l, column: _c, ...d }) => d);
    expect(bare(unplaced.diagnostics).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(bare(full.diagnostics).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
    return [!!fastParse(text, defaultRegistry, {}), !!fastParse(text, defaultRegistry, { warningPositions: false })];
  };

  it('reads every example and golden project to the same model', () => {
    expect(files.length).toBeGreaterThan(5);
    const taken = files.map((f) => same(readFileSync(f, 'utf8')));
    // The comparison means something only if the fast read took them: all of them, without warning positions.
    expect(taken.filter(([, loose]) => loose)).toHaveLength(files.length);
    expect(taken.filter(([strict]) => strict).length).toBeGreaterThan(files.length / 2);
  });

  it('reads the round-trip documents and templates the same way', () => {
    for (const text of [EVERYTHING, ...SHAPES.map((s) => serializeProject(template(s, 6)))]) expect(same(text)[1]).toBe(true);
  });

  // Scalars where js-yaml's own core schema and YAML 1.2's (yaml's) disagree, and their neighbours:
  // the fast read must give what the full read gives (or leave the file to it).
  it.each(['0b101', '+.5', '1_500', '0o2734', '0x5DC', '+1500', '1500.', '1.5e3', '.inf', '.NaN', '~', 'null', 'NULL', 'Null', 'nULL', 'yes', 'FALSE', 'fAlse', 'True', '"1500"', "'9000'", '01500'])('reads an MTU written %s the way the full read does', (v) => {
    same(`schemaVersion: 5\nname: n\nshape: site-to-site\nunderlay: { mtu: ${v} }\nhosts: [{ name: a }, { name: b }]\nlinks: [{ a: a, b: b, kind: clean }]\n`);
    same(`schemaVersion: 5\nname: ${v}\nshape: site-to-site\nhosts: [{ name: a }, { name: b }]\nlinks: [{ a: a, b: b, kind: clean }]\n`);
    // A position takes any finite number: where the two schemas' numbers would show.
    same(`schemaVersion: 5\nname: n\nshape: site-to-site\nhosts: [{ name: a, position: { x: ${v}, y: 0 } }, { name: b }]\nlinks: [{ a: a, b: b, kind: clean }]\n`);
  });

  it('places a warning when asked (the default), and may leave it unplaced when not', () => {
    const text = 'schemaVersion: 5\nname: x\nshape: mesh\nhosts: [{ name: a }, { name: b }, { name: c }]\nlinks: [{ a: a, b: b, kind: clean }]\n';
    expect(parseProject(text, defaultRegistry).diagnostics).toMatchObject([{ code: 'mesh-incomplete', line: 5 }]);
    expect(parseProject(text, defaultRegistry, { warningPositions: false }).diagnostics).toMatchObject([{ code: 'mesh-incomplete' }]);
  });

  it('leaves anchors, aliases and tags to the full read (alias bombs are bounded there)', () => {
    expect(fastParse('name: &n x\nshape: *n\n', defaultRegistry, { warningPositions: false })).toBeUndefined();
    same('schemaVersion: 5\nname: &n x\nshape: site-to-site\nhosts: [{ name: a }, { name: b }]\nlinks: [{ a: a, b: b, kind: clean }]\nmeasurement: { tools: [ping] }\n');
    same('schemaVersion: 5\nname: !!str 12\nshape: site-to-site\nhosts: [{ name: a }, { name: b }]\nlinks: [{ a: a, b: b, kind: clean }]\n');
  });

  it('gives problems their positions even with the option (errors always take the full read)', () => {
    const r = parseProject('schemaVersion: 5\nname: x\nname: y\nshape: mesh\nhosts: [{ name: a }]\n', defaultRegistry, { warningPositions: false });
    expect(r.diagnostics).toMatchObject([{ code: 'yaml-syntax', line: 3, column: 1 }]);
    const bad = parseProject('schemaVersion: 5\nname: x\nshape: site-to-site\nhosts: [{ name: a }, { name: b }]\nlinks: [{ a: a, b: zz, kind: clean }]\n', defaultRegistry, { warningPositions: false });
    expect(bad.value).toBeUndefined();
    expect(bad.diagnostics.find((d) => d.code === 'unknown-host')).toMatchObject({ line: 5 });
  });
});
