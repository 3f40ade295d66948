/**
 * Injection fuzz of the project file (issue "Trust", item "Injection fuzz"): hostile text —
 * shell, YAML and path metacharacters, line breaks, NUL, CR, RTL, zero-width and combining
 * marks, lone surrogates, very long values, wrong types — put into one user-controlled field of
 * a valid project of one kind per case (every field of the document, every option of the kind's
 * schema, unknown keys at each level), read as data, as the file the app's writer makes of it, or
 * pasted raw into overlab.yaml. Every case must end one of two ways:
 *  (a) refused, with an error whose path names the field that carries the value (text that is
 *      not YAML at all: a syntax error with a line, since no field can be named);
 *  (b) accepted: then the file written back reads back the same, plan + render succeed (or the
 *      plan refuses with the field's path), and the rendered scripts and files carry the text
 *      only where a value of that field belongs — checked without a shell parser of our own: the
 *      project is rendered again with a harmless sentinel in the field, and every line must be
 *      the sentinel's, with the value where the sentinel stood (a comment line may show it as it
 *      is or JSON-escaped; a code line must have exactly the `q()` word of the value there, and
 *      `q()` itself is checked through dash in the unit test). Elsewhere the case's marker text
 *      must not appear. The distinct scripts are collected for `sh -n` and shellcheck, which run
 *      batched after the cases (`checkScripts`).
 * On every case: each diagnostic is one short line that shows the user's text only escaped, and
 * the fast read of a file (js-yaml) agrees with the full one (yaml's Document).
 * The payloads carry commands that would create a marker file (`markerPath`), so that a run of
 * accepted bundles on a lab host (tests/lab/fuzz.lab.test.ts) can show that none executed.
 *
 * Used by tests/unit/injection-fuzz.test.ts, tests/lab/fuzz.lab.test.ts and bench/fuzz.bench.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { hasErrors, type Diagnostic, type PathSegment } from '../../src/shared/diagnostics.js';
import { fastParse, fullParse, parseProject, serializeProject as serializeProjectText } from '../../src/shared/document.js';
import { plan } from '../../src/shared/plan.js';
import { render, type HostBundle } from '../../src/shared/render.js';
import type { Shape, Topology } from '../../src/shared/schema.js';
import { placeholderSecrets } from '../../src/shared/secrets.js';
import { q } from '../../src/shared/shell.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry, type Registry, type TunnelKind } from '../../src/shared/tunnels/index.js';
import { validateTopology } from '../../src/shared/validate.js';

export const registry: Registry = defaultRegistry;

/** The seed every run uses unless OVERLAB_FUZZ_SEED says otherwise: a CI failure replays as it was. */
export const DEFAULT_SEED = 20_240_283;

export function fuzzSeed(): number {
  const s = process.env.OVERLAB_FUZZ_SEED;
  if (s === undefined || s === '') return DEFAULT_SEED;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`OVERLAB_FUZZ_SEED must be an integer, not ${JSON.stringify(s)}`);
  return n;
}

export function fuzzCases(dflt: number): number {
  const s = process.env.OVERLAB_FUZZ_CASES;
  const n = s ? Number(s) : dflt;
  if (!Number.isInteger(n) || n < 1) throw new Error(`OVERLAB_FUZZ_CASES must be a positive integer, not ${JSON.stringify(s)}`);
  return n;
}

/** The file a payload's command would create. Its name also says which case made it. */
export const MARK_PREFIX = 'OLMARK-';
export const markerPath = (mark: number): string => `/tmp/${MARK_PREFIX}${mark}`;

type Doc = Record<string, unknown> & { hosts: Record<string, unknown>[]; links: Record<string, unknown>[] };

/**
 * Payload atoms; `m` is the marker file. Each would run `touch m` if a script, a config file
 * or a YAML reader took it for code; the others break quoting, lines, here-documents, formats
 * and readers in the ways shells, printf, nft, daemons' configs and YAML are known to break.
 */
const ATOMS: readonly ((m: string) => string)[] = [
  (m) => `$(touch ${m})`,
  (m) => `\`touch ${m}\``,
  (m) => `; touch ${m}`,
  (m) => `'; touch ${m}; '`,
  (m) => `"; touch ${m}; "`,
  (m) => `'"'"'; touch ${m}; '"'"'`,
  (m) => `\ntouch ${m}\n`,
  (m) => `\r\ntouch ${m}\r\n`,
  (m) => `\rtouch ${m}`,
  (m) => ` && touch ${m}`,
  (m) => ` || touch ${m}`,
  (m) => ` | touch ${m}`,
  (m) => ` & touch ${m} &`,
  (m) => `\${x:-$(touch ${m})}`,
  (m) => `\${IFS}touch\${IFS}${m}`,
  () => '$IFS',
  () => '$((1+1))',
  () => "$'\\x41'",
  (m) => `\nOVERLAB_IP_BATCH\ntouch ${m}\nOVERLAB_IP_BATCH\n`,
  (m) => `\nEOF\ntouch ${m}\n`,
  (m) => `\n__OVERLAB_B64__\ntouch ${m}\n`,
  () => '<<EOF',
  (m) => ` > ${m}`,
  (m) => ` 2>>${m}`,
  () => ' < /etc/shadow',
  () => '*',
  () => '?',
  () => '[a-z]',
  () => '~root',
  () => '{a,b}',
  () => '!',
  () => ' #',
  () => '-rf',
  () => '--help',
  (m) => `-oProxyCommand=touch ${m}`,
  () => '%s%n%x%%',
  () => '%25',
  () => '\\x27\\047\\n\\0\\\\',
  () => '\\',
  () => '\0',
  () => 'a\0b',
  // Addresses and prefixes that a lenient parser reads: zone indexes, IPv4 in IPv6, octal-looking parts.
  () => 'fe80::1%eth0',
  () => 'fd00::%x/64',
  () => '%eth0',
  () => '::ffff:198.18.0.9',
  () => '198.18.0.010',
  () => '0x7f.0.0.1',
  () => '198.18.16.0/024',
  () => '../../../etc/passwd',
  () => '/etc/shadow',
  () => '//',
  () => '.',
  // Configuration files of the daemons (nft, OpenVPN, tinc, ipsec.conf, ocserv, Nebula YAML).
  (m) => `" accept; } table inet x { chain y { type filter hook input priority 0; }; } # ${m}`,
  (m) => `\nscript-security 2\nup "/bin/touch ${m}"\n`,
  (m) => `\nleftupdown=/bin/touch ${m}\n`,
  (m) => `\n[x]\nconnect-script = /bin/touch ${m}\n`,
  () => '\nPort = 1\n',
  () => '\n  - x\n',
  // YAML.
  () => '&a',
  () => '*a',
  () => '!!binary',
  () => '!!python/object/apply:os.system',
  () => '!tag',
  () => '<<: *a',
  () => '{a: b}',
  () => '[a, b]',
  () => '- x',
  () => '? x',
  () => 'a: b',
  () => '|',
  () => '>-',
  () => '%YAML 1.1',
  () => '%TAG ! tag:x,2000:',
  () => '---',
  () => '...',
  () => "'",
  () => '"',
  () => 'yes',
  () => 'null',
  () => '~',
  () => '0x10',
  () => '0o17',
  () => '0b101',
  () => '1e3',
  () => '.inf',
  () => '.nan',
  () => '+.5',
  () => '1_000',
  () => '=',
  () => '@',
  () => '\t',
  () => '  ',
];

/** Unicode that renders oddly, reorders, hides, joins, breaks lines in some readers or is not text. */
const UNICODE: readonly string[] = [
  '\u202e', // RIGHT-TO-LEFT OVERRIDE
  '\u202d',
  '\u2066',
  '\u2069',
  '\u200b', // ZERO WIDTH SPACE
  '\u200d',
  '\u2060',
  '\ufeff', // BOM
  'e\u0301', // combining acute
  'a\u0308\u0308\u0308\u0308',
  '\u2028', // LINE SEPARATOR
  '\u2029',
  '\u0085', // NEXT LINE
  '\u009b', // 8-bit CSI
  '\u001b[31m', // ESC
  '\u0007',
  '\u007f',
  '\ud800', // lone surrogates
  '\udc00',
  '\u{1f600}',
  '\uff1b', // FULLWIDTH SEMICOLON
  '\u037e', // GREEK QUESTION MARK (looks like ;)
  '\u00a0',
  '\u3000',
  'İ', // lower-cases to two code points
  'ǅ',
  'مرحبا',
  'שלום',
  'ﬀ',
  '\ufffd',
  '\uffff',
];

/** One field of the document that a user controls, and how to put a value there. */
export interface Field {
  readonly id: string;
  /** Puts `value` into `doc` (host/link/test chosen by `pick`); returns every path that now carries it. */
  readonly put: (doc: Doc, value: unknown, pick: number) => PathSegment[][];
  /** Values the field accepts, as written in a file (strings where the field is text). */
  readonly valid: readonly unknown[];
  /** The field names a key, not a value (the value must be a string). */
  readonly isKey?: boolean;
  /**
   * A harmless accepted value of the field, when an accepted value of the field reaches scripts
   * or files as it is: the comparison renders the project again with it (see `checkAccepted`).
   */
  readonly sentinel?: string;
}

export const SENTINEL = 'olsentinel';

const at = (doc: Doc, path: readonly PathSegment[]): Record<string | number, unknown> => {
  let cur: unknown = doc;
  for (const seg of path) cur = (cur as Record<string | number, unknown>)[seg];
  return cur as Record<string | number, unknown>;
};
const set = (doc: Doc, path: readonly PathSegment[], value: unknown): PathSegment[][] => {
  at(doc, path.slice(0, -1))[path[path.length - 1]!] = value;
  return [[...path]];
};
const hostIx = (doc: Doc, pick: number): number => pick % doc.hosts.length;
const linkIx = (doc: Doc, pick: number): number => pick % doc.links.length;

/**
 * A host of the project reached over SSH, with `sub` of its target set to `value`. Its underlay
 * address is the one the plan gives it as a lab host (the subnet's (i+1)-th), so that its
 * bundles are the lab project's: only the target differs.
 */
const sshField = (sub: string, valid: readonly unknown[]): Field => ({
  id: `hosts[].target(ssh).${sub}`,
  valid,
  put: (doc, value, pick) => {
    const i = hostIx(doc, pick);
    doc.hosts[i]!.target = { type: 'ssh', address: '10.0.0.5', port: 22, user: 'ovl', identityFile: '/root/.ssh/id_ed25519', sudo: true, password: false, [sub]: value };
    (doc.hosts[i]!.underlay as Record<string, unknown>).address = `198.18.0.${i + 1}`;
    return [['hosts', i, 'target', sub]];
  },
});

/** A field of the project's own suite's test `t`. */
const testField = (tool: string, sub: string, valid: readonly unknown[]): Field => ({
  id: `measurement.suites.mine.tests[${tool}].${sub}`,
  valid,
  put: (doc, value) => {
    const tests = at(doc, ['measurement', 'suites', 'mine', 'tests']) as unknown as Record<string, unknown>[];
    const i = tests.findIndex((t) => t.tool === tool);
    return set(doc, ['measurement', 'suites', 'mine', 'tests', i, sub], value);
  },
});

/** A need of the project's `advice` section (the section made when the base has none). */
const adviceField = (sub: string, valid: readonly unknown[]): Field => ({
  id: `advice.${sub}`,
  valid,
  put: (doc, value) => {
    doc.advice = { ...(doc.advice as Record<string, unknown> | undefined), [sub]: value };
    return [['advice', sub]];
  },
});

/** Every field of the document outside the links' options. */
const DOCUMENT_FIELDS: readonly Field[] = [
  { id: 'name', valid: ['golden', 'Site A — Ünïcødé ✓', 'a', 'Lab "quotes" \'and\' $dollars'], sentinel: SENTINEL, put: (d, v) => set(d, ['name'], v) },
  { id: 'schemaVersion', valid: [3, 2], put: (d, v) => set(d, ['schemaVersion'], v) },
  { id: 'shape', valid: ['site-to-site', 'hub-spoke', 'mesh'], put: (d, v) => set(d, ['shape'], v) },
  { id: 'underlay.subnet', valid: ['198.18.0.0/20', '198.18.0.0/24'], put: (d, v) => set(d, ['underlay', 'subnet'], v) },
  { id: 'underlay.mtu', valid: [1500, 9000], put: (d, v) => set(d, ['underlay', 'mtu'], v) },
  { id: 'pools.tunnels', valid: ['198.19.0.0/16', '198.19.128.0/24', 'fd00:198:19::/48'], put: (d, v) => set(d, ['pools', 'tunnels'], v) },
  { id: 'lab.management', valid: ['198.18.240.0/20', '198.18.224.0/20'], put: (d, v) => set(d, ['lab', 'management'], v) },
  { id: '<key>', isKey: true, valid: ['notes'], put: (d, v) => set(d, [v as string], 'x') },
  { id: 'hosts[].id', valid: ['h0001', 'host_A-1'], put: (d, v, p) => set(d, ['hosts', hostIx(d, p), 'id'], v) },
  {
    id: 'hosts[].name',
    valid: ['site-x', 'a', 'h-1'],
    sentinel: SENTINEL,
    // A rename, as the designer makes it: the links name the host by its new name.
    put: (d, v, p) => {
      const i = hostIx(d, p);
      const old = d.hosts[i]!.name;
      const paths: PathSegment[][] = [['hosts', i, 'name']];
      d.hosts[i]!.name = v;
      d.links.forEach((l, j) => {
        for (const end of ['a', 'b'] as const) {
          if (l[end] !== old) continue;
          l[end] = v;
          paths.push(['links', j, end]);
        }
      });
      return paths;
    },
  },
  { id: 'hosts[].role', valid: ['peer', 'hub', 'spoke'], put: (d, v, p) => set(d, ['hosts', hostIx(d, p), 'role'], v) },
  { id: 'hosts[].target.type', valid: ['lab'], put: (d, v, p) => set(d, ['hosts', hostIx(d, p), 'target', 'type'], v) },
  { id: 'hosts[].lan', valid: ['198.18.100.0/24', '10.99.0.0/16', 'fd00:1::/64'], put: (d, v, p) => set(d, ['hosts', hostIx(d, p), 'lan'], v) },
  { id: 'hosts[].underlay.interface', valid: ['eth0', 'ens3', 'en_p1.100'], sentinel: SENTINEL, put: (d, v, p) => set(d, ['hosts', hostIx(d, p), 'underlay', 'interface'], v) },
  { id: 'hosts[].underlay.address', valid: ['198.18.0.77', '198.18.1.2'], put: (d, v, p) => set(d, ['hosts', hostIx(d, p), 'underlay', 'address'], v) },
  { id: 'hosts[].os.firewall', valid: ['nftables', 'iptables'], put: (d, v, p) => set(d, ['hosts', hostIx(d, p), 'os', 'firewall'], v) },
  { id: 'hosts[].position.x', valid: [0, -5.5], put: (d, v, p) => set(d, ['hosts', hostIx(d, p), 'position', 'x'], v) },
  { id: 'hosts[].<key>', isKey: true, valid: ['notes'], put: (d, v, p) => set(d, ['hosts', hostIx(d, p), v as string], 'x') },
  sshField('address', ['10.0.0.9', 'r1.lab.example', '2001:db8::9']),
  sshField('port', [22, 2222]),
  sshField('user', ['root', 'deploy_1']),
  sshField('identityFile', ['~/.ssh/id_ed25519', '/root/.ssh/lab key', 'keys/id']),
  sshField('sudo', [true, false]),
  sshField('password', [true, false]),
  {
    // The version-1 form of a target (`ssh: [user@]address[:port]`), read through the migration.
    id: 'hosts[].ssh (version 1)',
    valid: ['root@10.0.0.5:22', '10.0.0.5'],
    put: (d, v, p) => {
      const i = hostIx(d, p);
      d.schemaVersion = 1;
      delete d.hosts[i]!.target;
      d.hosts[i]!.ssh = v;
      (d.hosts[i]!.underlay as Record<string, unknown>).address = `198.18.0.${i + 1}`;
      return [['hosts', i, 'ssh'], ['hosts', i, 'target']];
    },
  },
  { id: 'links[].id', valid: ['l0001'], put: (d, v, p) => set(d, ['links', linkIx(d, p), 'id'], v) },
  { id: 'links[].a', valid: [], put: (d, v, p) => set(d, ['links', linkIx(d, p), 'a'], v) },
  { id: 'links[].b', valid: [], put: (d, v, p) => set(d, ['links', linkIx(d, p), 'b'], v) },
  { id: 'links[].kind', valid: ['clean', 'vxlan'], put: (d, v, p) => set(d, ['links', linkIx(d, p), 'kind'], v) },
  { id: 'links[].mtu', valid: [1400, 1280], put: (d, v, p) => set(d, ['links', linkIx(d, p), 'mtu'], v) },
  { id: 'links[].options.<key>', isKey: true, valid: ['notes'], put: (d, v, p) => set(d, ['links', linkIx(d, p), 'options', v as string], 1) },
  { id: 'measurement.tools[]', valid: ['ping', 'netperf'], put: (d, v) => set(d, ['measurement', 'tools', 0], v) },
  { id: 'measurement.duration', valid: [10], put: (d, v) => set(d, ['measurement', 'duration'], v) },
  { id: 'measurement.pingCount', valid: [100], put: (d, v) => set(d, ['measurement', 'pingCount'], v) },
  { id: 'measurement.pingInterval', valid: [0.2], put: (d, v) => set(d, ['measurement', 'pingInterval'], v) },
  { id: 'measurement.udpBandwidth', valid: ['1G', '500M', '2.5G'], put: (d, v) => set(d, ['measurement', 'udpBandwidth'], v) },
  { id: 'measurement.parallel', valid: [1], put: (d, v) => set(d, ['measurement', 'parallel'], v) },
  { id: 'measurement.pairs', valid: ['links', 'all-pairs'], put: (d, v) => set(d, ['measurement', 'pairs'], v) },
  { id: 'measurement.repetitions', valid: [1], put: (d, v) => set(d, ['measurement', 'repetitions'], v) },
  {
    id: 'measurement.suites.<name>',
    isKey: true,
    valid: ['fast', 'a-1'],
    put: (d, v) => {
      const suites = at(d, ['measurement', 'suites']);
      suites[v as string] = suites.mine;
      delete suites.mine;
      return [['measurement', 'suites', v as string]];
    },
  },
  { id: 'measurement.suites.mine.description', valid: ['mine', 'ping only — 5 s'], put: (d, v) => set(d, ['measurement', 'suites', 'mine', 'description'], v) },
  { id: 'measurement.suites.mine.baseline', valid: [true], put: (d, v) => set(d, ['measurement', 'suites', 'mine', 'baseline'], v) },
  { id: 'measurement.suites.mine.lan', valid: [false], put: (d, v) => set(d, ['measurement', 'suites', 'mine', 'lan'], v) },
  { id: 'measurement.suites.mine.repeat', valid: [2], put: (d, v) => set(d, ['measurement', 'suites', 'mine', 'repeat'], v) },
  { id: 'measurement.suites.mine.<key>', isKey: true, valid: ['notes'], put: (d, v) => set(d, ['measurement', 'suites', 'mine', v as string], 1) },
  adviceField('encrypted', [true, false]),
  adviceField('layer', ['L2', 'L3', 'any']),
  adviceField('nat', [true, false]),
  adviceField('minMtu', [1280, 68]),
  adviceField('pathMtu', [1500, 9000]),
  adviceField('priority', ['latency', 'bulk', 'balanced']),
  adviceField('cpuBudget', [50, 0]),
  { id: 'advice.<key>', isKey: true, valid: ['notes'], put: (d, v) => { d.advice = { [v as string]: true }; return [['advice', v as string]]; } },
  testField('ping', 'tool', ['ping']),
  testField('ping', 'count', [5]),
  testField('ping', 'interval', [0.2]),
  testField('ping', 'size', [56]),
  testField('iperf3', 'protocol', ['tcp', 'udp']),
  testField('iperf3', 'duration', [2]),
  testField('iperf3', 'bytes', ['10M', '1G']),
  testField('iperf3', 'bitrate', ['1G', '100M']),
  testField('iperf3', 'parallel', [2]),
  testField('iperf3', 'bothDirections', [false]),
  testField('iperf2', 'protocol', ['udp']),
  testField('iperf2', 'bitrate', ['100M']),
  testField('iperf2', 'bytes', ['5M']),
  testField('netperf', 'test', ['TCP_RR', 'UDP_STREAM']),
  testField('netperf', 'duration', [2]),
];

/** Zod internals read for the values an option accepts (enum entries, literals, booleans). */
interface ZodDefLike {
  type: string;
  innerType?: { _zod: { def: ZodDefLike } };
  defaultValue?: unknown;
  entries?: Record<string, unknown>;
  values?: unknown[];
  options?: { _zod: { def: ZodDefLike } }[];
}

function optionValues(schema: { _zod: { def: ZodDefLike } }): unknown[] {
  const out: unknown[] = [];
  const walk = (d: ZodDefLike): void => {
    if (d.defaultValue !== undefined) out.push(typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue);
    if (d.innerType) walk(d.innerType._zod.def);
    if (d.entries) out.push(...Object.values(d.entries));
    if (d.values) out.push(...d.values);
    if (d.options) for (const o of d.options) walk(o._zod.def);
    if (d.type === 'boolean') out.push(true, false);
    if (d.type === 'number') out.push(1, 100);
  };
  walk(schema._zod.def);
  return [...new Set(out)].filter((v) => (schema as unknown as { safeParse(v: unknown): { success: boolean } }).safeParse(v).success);
}

/** Each option of a kind's schema, on every link (a mesh or star network reads the first link's). */
export function optionFields(kind: TunnelKind): Field[] {
  const shape = (kind.options as unknown as { shape?: Record<string, { _zod: { def: ZodDefLike } }> }).shape;
  if (!shape) throw new Error(`bug in the fuzz: ${kind.id}'s options are not an object schema`);
  return Object.entries(shape).map(([key, schema]) => ({
    id: `links[].options.${key}`,
    valid: optionValues(schema),
    put: (d: Doc, v: unknown) => d.links.map((_, j) => set(d, ['links', j, 'options', key], v)[0]!),
  }));
}

/** The shape a kind's base project has: a hub with two spokes where the kind builds one (routing through the hub), else two sites. */
export const shapeOf = (kind: TunnelKind): Shape => (kind.shapes.includes('hub-spoke') ? 'hub-spoke' : 'site-to-site');

const bases = new Map<string, Doc>();

/** A valid project of the kind, as plain data (every field written out), with a suite of its own. */
export function baseDoc(kind: TunnelKind): Doc {
  let base = bases.get(kind.id);
  if (!base) {
    const shape = shapeOf(kind);
    const t = makeTemplate({ template: shape, hosts: shape === 'site-to-site' ? 2 : 3, kind: kind.id, name: `fuzz ${kind.id}` }, registry);
    if (!t.value) throw new Error(`bug in the fuzz: ${kind.id}: ${JSON.stringify(t.diagnostics)}`);
    base = JSON.parse(JSON.stringify(t.value)) as Doc;
    (base.measurement as Record<string, unknown>).suites = {
      mine: {
        description: 'a suite of my own',
        tests: [
          { tool: 'ping', count: 5, interval: 0.2, size: 56 },
          { tool: 'iperf3', protocol: 'tcp', duration: 2, bytes: '10M', bitrate: '1G', parallel: 1, bothDirections: true },
          { tool: 'iperf2', protocol: 'udp', duration: 2, bitrate: '100M' },
          { tool: 'netperf', test: 'TCP_RR', duration: 2 },
        ],
        baseline: true,
        lan: true,
        repeat: 1,
      },
    };
    bases.set(kind.id, base);
  }
  return structuredClone(base);
}

const fieldLists = new Map<string, Field[]>();
export function fieldsOf(kind: TunnelKind): Field[] {
  let list = fieldLists.get(kind.id);
  if (!list) fieldLists.set(kind.id, (list = [...DOCUMENT_FIELDS, ...optionFields(kind)]));
  return list;
}

/** How the hostile value reaches validation. */
export type Mode =
  /** The document as data (what the designer validates after an edit). */
  | 'object'
  /** The document written as overlab.yaml by the same writer the app uses, as UTF-8 bytes, and read back. */
  | 'yaml'
  /** The text pasted into overlab.yaml as it is, unquoted (one line: more would be another document). */
  | 'yaml-raw';

export interface FuzzCase {
  readonly kind: string;
  readonly field: string;
  readonly pick: number;
  readonly mode: Mode;
  readonly mark: number;
  readonly value: unknown;
}

const kindById = (id: string): TunnelKind => registry.kinds.find((k) => k.id === id)!;
export const fieldOf = (c: Pick<FuzzCase, 'kind' | 'field'>): Field => fieldsOf(kindById(c.kind)).find((f) => f.id === c.field)!;

/** Hostile text for a case whose marker number is `mark`. */
export function hostileText(mark: number): fc.Arbitrary<string> {
  const m = markerPath(mark);
  const part = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ATOMS).map((f) => f(m)) },
    { weight: 2, arbitrary: fc.constantFrom(...UNICODE) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
  );
  return fc.array(part, { minLength: 1, maxLength: 4 }).map((p) => p.join(''));
}

/** A value for `field`: hostile text alone or around a valid value, very long text, a wrong type, or a valid value (a control). */
export function valueOf(field: Field, mark: number): fc.Arbitrary<unknown> {
  const hostile = hostileText(mark);
  const valid = field.valid.length > 0 ? fc.constantFrom(...field.valid) : fc.constant('site-a');
  const around = fc.tuple(valid, hostile, fc.constantFrom('before', 'after', 'inside')).map(([v, h, where]) => {
    const s = String(v);
    return where === 'before' ? h + s : where === 'after' ? s + h : s.slice(0, 1) + h + s.slice(1);
  });
  const long = fc.tuple(fc.oneof(hostile, valid.map(String)), fc.integer({ min: 81, max: 20_000 })).map(([s, n]) => (s.length ? s.repeat(Math.ceil(n / s.length)).slice(0, n) : 'x'.repeat(n)));
  if (field.isKey) return fc.oneof({ weight: 8, arbitrary: hostile }, { weight: 2, arbitrary: around }, { weight: 1, arbitrary: long }, { weight: 1, arbitrary: valid.map(String) });
  const wrongType = fc.oneof(
    fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e308, -0, 65536, 4294967296, [], {}),
    fc.array(hostile, { minLength: 1, maxLength: 2 }),
    fc.dictionary(hostile, hostile, { minKeys: 1, maxKeys: 1, noNullPrototype: true }),
    valid.map((v) => (typeof v === 'number' ? String(v) : v)),
  );
  return fc.oneof({ weight: 8, arbitrary: hostile }, { weight: 4, arbitrary: around }, { weight: 1, arbitrary: long }, { weight: 2, arbitrary: wrongType }, { weight: 1, arbitrary: valid });
}

/** Cases over every kind of the catalogue and every field of its project. */
export function caseArb(kinds: readonly TunnelKind[] = registry.kinds, fields?: (k: TunnelKind) => readonly Field[]): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...kinds).chain((kind) =>
    fc.constantFrom(...(fields ?? fieldsOf)(kind)).chain((field) =>
      fc
        .record({ pick: fc.nat(7), mark: fc.nat(999_999), mode: fc.constantFrom<Mode>('object', 'object', 'yaml', 'yaml', 'yaml-raw') })
        .chain((r) =>
          valueOf(field, r.mark).map((value) => ({
            kind: kind.id,
            field: field.id,
            pick: r.pick,
            // Raw text is one line of text; anything else is written by the writer.
            mode: r.mode === 'yaml-raw' && (typeof value !== 'string' || /[\n\r]/.test(value)) ? 'yaml' : r.mode,
            mark: r.mark,
            value,
          })),
        ),
    ),
  );
}

/** The writer's own options (document.ts `serializeProject`), for documents that did not validate. */
const yamlText = (doc: unknown): string => stringify(doc, { lineWidth: 0, indent: 2, aliasDuplicateObjects: false });

/** Text as written to disk and read back: what a file can hold. */
const throughBytes = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

const RAW_TOKEN = 'olrawtoken7';

export interface Outcome {
  readonly verdict: 'refused' | 'accepted' | 'refused-by-plan' | 'skipped';
  /** What is wrong with Overlab's handling of the case (empty: it passed). */
  readonly problems: string[];
  readonly bundles?: readonly HostBundle[];
  readonly topology?: Topology;
  readonly diagnostics?: readonly Diagnostic[];
}

/** A path segment that matches any key: where YAML makes its own key of raw text (it trims blanks, reads escapes). */
const ANY_KEY = '\u0000any key';

const under = (d: Diagnostic, paths: readonly PathSegment[][]): boolean =>
  paths.some((p) => {
    const s = d.segments ?? [];
    return s.length >= p.length && p.every((seg, i) => s[i] === seg || (seg === ANY_KEY && typeof s[i] === 'string'));
  });

/** What a terminal or a log would act on, in a diagnostic's message or path (see diagnostics.ts `shown`). */
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every diagnostic stays one short line that shows the user's text only escaped. */
function checkMessages(ds: readonly Diagnostic[], problems: string[]): void {
  for (const d of ds) {
    if (UNSHOWABLE.test(d.message)) problems.push(`the message at ${d.path} carries a control, line-breaking or reordering character: ${JSON.stringify(d.message.slice(0, 200))}`);
    if (UNSHOWABLE.test(d.path)) problems.push(`the path ${JSON.stringify(d.path.slice(0, 200))} carries a control, line-breaking or reordering character`);
    if (d.message.length > 1000) problems.push(`the message at ${d.path.slice(0, 80)} is ${d.message.length} characters long: ${JSON.stringify(d.message.slice(0, 200))}…`);
  }
}

const errorsOf = (ds: readonly Diagnostic[]): Diagnostic[] => ds.filter((d) => d.severity === 'error');
const show = (ds: readonly Diagnostic[]): string => JSON.stringify(errorsOf(ds).map((d) => `${d.path}${d.line ? `@${d.line}` : ''}: ${d.code}: ${d.message.slice(0, 160)}`));

/** The document of a case: the kind's base project with the value in the field; undefined when the value cannot sit there. */
export function docOf(c: FuzzCase, value: unknown = c.value): { doc: Doc; paths: PathSegment[][] } | undefined {
  const field = fieldOf(c);
  if (field.isKey && (typeof value !== 'string' || ['__proto__', 'constructor', 'prototype'].includes(value))) return undefined;
  const doc = baseDoc(kindById(c.kind));
  const paths = field.put(doc, value, c.pick);
  return { doc, paths };
}

/** The lines of a text where the token stands, 1-based. */
const linesOf = (text: string, token: string): number[] => text.split('\n').flatMap((l, i) => (l.includes(token) ? [i + 1] : []));

/** Reads the document the way the case says; `raw` problems are about the reading itself. */
function read(c: FuzzCase, doc: Doc, paths: PathSegment[][], problems: string[]): { result: ReturnType<typeof validateTopology>; lines?: number[] } {
  if (c.mode === 'object') return { result: validateTopology(doc, registry) };
  if (c.mode === 'yaml') {
    const text = throughBytes(yamlText(doc));
    const full = fullParse(text, registry);
    compareFast(text, full, problems);
    const result = full.value ? { value: full.value.topology, diagnostics: full.diagnostics } : { diagnostics: full.diagnostics };
    for (const d of full.diagnostics) if (d.code === 'yaml-syntax') problems.push(`the writer's own YAML does not read back: ${d.message}`);
    return { result };
  }
  // yaml-raw: the token written where the value goes, then replaced by the text as it is.
  const withToken = docOf(c, RAW_TOKEN)!.doc;
  const tokenText = yamlText(withToken);
  const lines = linesOf(tokenText, RAW_TOKEN);
  const text = tokenText.split(RAW_TOKEN).join(String(c.value));
  const full = fullParse(throughBytes(text), registry);
  compareFast(throughBytes(text), full, problems);
  return { result: full.value ? { value: full.value.topology, diagnostics: full.diagnostics } : { diagnostics: full.diagnostics }, lines };
}

/** The fast read (js-yaml), when it answers, must agree with the full one (`yaml`'s Document). */
function compareFast(text: string, full: ReturnType<typeof fullParse>, problems: string[]): void {
  const fast = fastParse(text, registry, { warningPositions: false });
  if (!fast) return;
  if (!full.value) problems.push(`the fast read accepts a file the full read refuses (${show(full.diagnostics)})`);
  else if (!isDeepStrictEqual(fast.value?.topology, full.value.topology)) problems.push('the fast read and the full read give different documents');
}

/** A case, run through validation, the file round trip, plan and render, with every check that needs no process. */
export function runCase(c: FuzzCase): Outcome {
  const placed = docOf(c);
  if (!placed) return { verdict: 'skipped', problems: [] };
  const { doc } = placed;
  const problems: string[] = [];
  if (c.mode === 'yaml-raw' && (typeof c.value !== 'string' || /[\n\r]/.test(c.value))) return { verdict: 'skipped', problems };
  // Read from a file, a key is what UTF-8 can hold of it (a lone surrogate becomes U+FFFD).
  const field = fieldOf(c);
  // Raw text becomes whatever key YAML makes of it; the writer's YAML keeps the key as it is.
  const rawKey = c.mode === 'yaml-raw' && field.isKey;
  // (A tag or an indicator in raw text may make the container itself something else: it is named then.)
  const paths = rawKey ? placed.paths.flatMap((p) => [[...p.slice(0, -1), ANY_KEY], p.slice(0, -1)]) : placed.paths;
  const { result, lines } = read(c, doc, paths, problems);
  // A migrated document's diagnostics have no position (document.ts): its paths are not the file's.
  const migrated = (doc.schemaVersion as number) < 3;

  checkMessages(result.diagnostics, problems);
  if (!result.value || hasErrors(result.diagnostics)) {
    const errs = errorsOf(result.diagnostics);
    // A valid value of a field (a control) may make the whole inconsistent (a site-to-site shape
    // with two links, a hub-spoke with no hub): then another field or a list is named. Hostile
    // text is always refused at its own field.
    const control = field.valid.some((v) => isDeepStrictEqual(v, c.value));
    const named = errs.some((d) => under(d, paths)) || (control && errs.some((d) => d.path !== ''));
    // Text that is not YAML cannot be placed in a field, only at a line (the lines before the
    // text's are the writer's, valid: whatever line the reader names, the text made it fail).
    const syntaxAfter = lines !== undefined && errs.some((d) => d.code === 'yaml-syntax' && d.line !== undefined);
    if (!named && !syntaxAfter) problems.push(`refused without an error at ${paths.map((p) => JSON.stringify(p)).join(' or ')}: ${show(result.diagnostics)}`);
    // The full read places what it names at the field's line (the value's or its key's).
    if (named && lines !== undefined && !migrated && !control && !rawKey && !errs.some((d) => under(d, paths) && d.line !== undefined && lines.includes(d.line)) && !errs.some((d) => d.code === 'yaml-syntax')) {
      problems.push(`the error at the field is not placed at its line ${lines.join(',')}: ${show(result.diagnostics)}`);
    }
    return { verdict: 'refused', problems, diagnostics: result.diagnostics };
  }
  const t = result.value;

  // The file the app writes must read back as the same document.
  // Through the app's own reader (the fast read, when it answers: the modes above hold it to the full one).
  const again = parseProject(throughBytes(serializeProjectText(t)), registry);
  if (!again.value) problems.push(`the accepted document, saved, does not read back: ${show(again.diagnostics)}`);
  else if (!isDeepStrictEqual(again.value.topology, t)) problems.push(`the accepted document, saved and read back, differs: ${firstDifference(t, again.value.topology)}`);

  const p = plan(t, registry);
  checkMessages(p.diagnostics, problems);
  if (!p.value || hasErrors(p.diagnostics)) {
    if (!errorsOf(p.diagnostics).some((d) => under(d, paths))) problems.push(`accepted, then the plan refuses it without naming ${JSON.stringify(paths[0])}: ${show(p.diagnostics)}`);
    return { verdict: 'refused-by-plan', problems, topology: t, diagnostics: p.diagnostics };
  }
  let bundles: HostBundle[];
  try {
    bundles = render(p.value, registry, placeholderSecrets);
  } catch (e) {
    problems.push(`render threw: ${e instanceof Error ? e.message : String(e)}`);
    return { verdict: 'accepted', problems, topology: t };
  }
  problems.push(...checkAccepted(c, paths, t, bundles));
  return { verdict: 'accepted', problems, topology: t, bundles };
}

function firstDifference(a: unknown, b: unknown, where = ''): string {
  if (isDeepStrictEqual(a, b)) return '';
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
      if (d) return d;
    }
  }
  return `${where}: ${JSON.stringify(a)?.slice(0, 80)} became ${JSON.stringify(b)?.slice(0, 80)}`;
}

/** Whether each line of a script is shell code (false: a comment line or here-document data). */
export function codeLines(script: string): { line: string; code: boolean; comment: boolean }[] {
  const out: { line: string; code: boolean; comment: boolean }[] = [];
  let heredoc: string | undefined;
  for (const line of script.split('\n')) {
    if (heredoc !== undefined) {
      out.push({ line, code: false, comment: false });
      if (line === heredoc) heredoc = undefined;
      continue;
    }
    const comment = /^\s*#/.test(line);
    out.push({ line, code: !comment, comment });
    // Overlab's here-documents all have a quoted word on the line that opens them.
    const m = !comment ? /<<-?\s*'([A-Za-z_][A-Za-z0-9_]*)'/.exec(line) : null;
    if (m) heredoc = m[1];
  }
  return out;
}

const jsonInner = (s: string): string => JSON.stringify(s).slice(1, -1);

/** The forms a kind writes a value in: as it is, or (a daemon that takes no "-" in a name: tinc) with "_" for "-". */
const forms = (value: string): string[] => [...new Set([value, value.replace(/-/g, '_')])];

/**
 * The checks of an accepted case's bundles. Where the field has a sentinel, the project is
 * rendered again with the sentinel in the field, and every line must be the same except where
 * the sentinel stood: there a comment line may show the value (as it is, or JSON-escaped), and a
 * code line must have the value's `q()` word where the sentinel's word was. Everywhere else the
 * marker of the case must not appear at all.
 */
export function checkAccepted(c: FuzzCase, paths: readonly PathSegment[][], t: Topology, bundles: readonly HostBundle[]): string[] {
  const problems: string[] = [];
  const field = fieldOf(c);
  // The value as the document holds it (a YAML read may have made something else of the text).
  const held: unknown = field.isKey ? paths[0]!.at(-1) : paths[0]!.reduce<unknown>((cur, seg) => (cur as Record<string | number, unknown> | undefined)?.[seg], t);
  const value = typeof held === 'string' ? held : undefined;
  const mark = `${MARK_PREFIX}${c.mark}`;
  let twin: Map<string, HostBundle> | undefined;
  if (field.sentinel !== undefined && value !== undefined) {
    const s = docOf(c, field.sentinel)!;
    const tv = validateTopology(s.doc, registry);
    const ps = tv.value && plan(tv.value, registry).value;
    if (!ps) problems.push(`the sentinel project does not plan: ${show(tv.diagnostics)}`);
    else twin = new Map(render(ps, registry, placeholderSecrets).map((b) => [b.host === field.sentinel ? value : b.host, b]));
  }
  for (const b of bundles) {
    const other = twin?.get(b.host);
    if (twin && !other) problems.push(`host ${b.host} has no bundle in the sentinel project`);
    for (const [name, text, otherText] of [['up.sh', b.up, other?.up], ['down.sh', b.down, other?.down]] as const) {
      if (/[\0\r]/.test(text)) problems.push(`${b.host}/${name} has a NUL or CR`);
      const mine = codeLines(text);
      const theirs = otherText !== undefined ? codeLines(otherText) : undefined;
      if (theirs && theirs.length !== mine.length) {
        problems.push(`${b.host}/${name} has ${mine.length} lines, ${theirs.length} with the sentinel: the value added lines`);
        continue;
      }
      mine.forEach((l, i) => {
        const s = theirs?.[i];
        if (s && value !== undefined && l.line !== s.line) {
          if (l.comment !== s.comment || l.code !== s.code) problems.push(`${b.host}/${name}:${i + 1} changed kind with the value: ${JSON.stringify(l.line.slice(0, 160))}`);
          else if (l.comment) {
            if (!forms(value).flatMap((v) => [v, jsonInner(v)]).some((enc) => s.line.split(SENTINEL).join(enc) === l.line)) problems.push(`${b.host}/${name}:${i + 1} comment differs from the sentinel's beyond the value: ${JSON.stringify(l.line.slice(0, 160))}`);
          } else if (!forms(value).some((v) => s.line.split(q(SENTINEL)).join(q(v)) === l.line)) {
            problems.push(`${b.host}/${name}:${i + 1} carries the value other than as its one quoted word: ${JSON.stringify(l.line.slice(0, 200))}`);
          }
          return;
        }
        if (l.line.includes(mark)) problems.push(`${b.host}/${name}:${i + 1} carries the payload: ${JSON.stringify(l.line.slice(0, 200))}`);
      });
    }
    const otherFiles = new Map((other?.files ?? []).flatMap((f) => forms(value ?? '').map((v) => [f.path.split(SENTINEL).join(v), f] as const)));
    for (const f of b.files) {
      if (!/^(\/[A-Za-z0-9_][A-Za-z0-9._-]*)+$/.test(f.path) || f.path.split('/').some((s) => s === '..' || s === '.')) problems.push(`${b.host}: a file path is not a plain absolute path: ${JSON.stringify(f.path)}`);
      if (f.path.includes(mark)) problems.push(`${b.host}: a file path carries the payload: ${JSON.stringify(f.path)}`);
      const s = otherFiles.get(f.path);
      if (twin && value !== undefined) {
        if (!s) {
          problems.push(`${b.host}: ${f.path} is not in the sentinel project's bundle`);
          continue;
        }
        const [mine, theirs] = [f.content.split('\n'), s.content.split('\n')];
        if (mine.length !== theirs.length) problems.push(`${b.host}:${f.path} has ${mine.length} lines, ${theirs.length} with the sentinel: the value added lines`);
        else
          mine.forEach((l, i) => {
            if (l !== theirs[i] && !forms(value).flatMap((v) => [v, jsonInner(v), q(v)]).some((enc) => theirs[i]!.split(SENTINEL).join(enc) === l)) problems.push(`${b.host}:${f.path}:${i + 1} differs from the sentinel's beyond the value: ${JSON.stringify(l.slice(0, 160))}`);
          });
      } else if (f.content.includes(mark)) problems.push(`${b.host}:${f.path} carries the payload`);
    }
  }
  return problems;
}

/** A case in a form to paste into a regression test, and the way to replay the run. */
export const describeCase = (c: FuzzCase, seed: number): string =>
  `case ${JSON.stringify(c)} (OVERLAB_FUZZ_SEED=${seed}; fields: ${fieldOf(c).id} of ${c.kind}'s project, read as ${c.mode})`;

// ---------------------------------------------------------------------------------------------
// The scripts of accepted cases, checked after the cases by processes: `sh -n` and shellcheck.

/**
 * Distinct scripts, grouped by their code (comments and here-document data kept, comment lines
 * apart): the scripts of one group differ only in comment lines, so one script with every
 * distinct comment line of its group stands for all of them (a comment line means nothing to
 * the shell beyond itself, and shellcheck reads each one on its own).
 */
export class ScriptSet {
  private readonly groups = new Map<string, { script: string; comments: Set<string>; origin: string }>();
  scripts = 0;

  add(script: string, origin: string): void {
    this.scripts++;
    const lines = codeLines(script);
    const key = lines.filter((l) => !l.comment).map((l) => l.line).join('\n');
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { script, comments: new Set(), origin }));
    for (const l of lines) if (l.comment) g.comments.add(l.line);
  }

  get size(): number {
    return this.groups.size;
  }

  /** One script per group: its first script, with the other comment lines of the group after the shebang. */
  representatives(): { script: string; origin: string }[] {
    return [...this.groups.values()].map((g) => {
      const [shebang, ...rest] = g.script.split('\n');
      const own = new Set(rest);
      const extra = [...g.comments].filter((c) => !own.has(c));
      return { script: [shebang, ...extra, ...rest].join('\n'), origin: g.origin };
    });
  }
}

const runProcess = (argv: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

export interface ScriptCheck {
  readonly files: number;
  readonly problems: string[];
  readonly shNMs: number;
  readonly shellcheckMs: number;
}

/**
 * `sh -n` (dash, the shell the scripts run under) on each script, all from one shell, and
 * shellcheck on all of them in `procs` processes; each finding is reported with the case that
 * produced the script.
 */
export async function checkScripts(scripts: readonly { script: string; origin: string }[], opts: { shellcheck: boolean; procs?: number } = { shellcheck: true }): Promise<ScriptCheck> {
  const dir = mkdtempSync(path.join(tmpdir(), 'overlab-fuzz-'));
  const problems: string[] = [];
  try {
    const names = scripts.map((s, i) => {
      const name = `s${i}.sh`;
      writeFileSync(path.join(dir, name), s.script);
      return name;
    });
    const origin = (file: string): string => scripts[Number(/s(\d+)\.sh/.exec(file)?.[1])]?.origin ?? '?';
    let t0 = Date.now();
    const shn = await runProcess(['sh', '-c', 'for f in s*.sh; do sh -n "$f" >/dev/null 2>&1 || echo "$f"; done'], dir);
    const shNMs = Date.now() - t0;
    for (const f of shn.stdout.split('\n').filter(Boolean)) problems.push(`sh -n refuses a script (${origin(f)}): ${(await runProcess(['sh', '-n', f], dir)).stderr.trim()}`);
    let shellcheckMs = 0;
    if (opts.shellcheck && names.length > 0) {
      t0 = Date.now();
      const procs = opts.procs ?? 2;
      const chunk = Math.ceil(names.length / procs);
      const runs = await Promise.all(
        Array.from({ length: procs }, (_, i) => names.slice(i * chunk, (i + 1) * chunk)).filter((c) => c.length > 0).map((c) => runProcess(['shellcheck', '-s', 'sh', '-f', 'gcc', ...c], dir)),
      );
      shellcheckMs = Date.now() - t0;
      for (const r of runs) {
        if (r.stderr.trim()) problems.push(`shellcheck failed to run: ${r.stderr.trim().slice(0, 300)}`);
        for (const line of r.stdout.split('\n').filter(Boolean)) problems.push(`shellcheck: ${line.slice(0, 300)} (${origin(line.split(':')[0]!)})`);
      }
    }
    return { files: names.length, problems, shNMs, shellcheckMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
