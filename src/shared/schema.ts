/**
 * The project document (`overlab.yaml`), schema version 5. This schema is the single source
 * of truth for the model's types (`z.output<typeof TopologySchema>`) and for the first,
 * structural half of validation; `validate.ts` adds the semantic checks on top.
 *
 * The document is plain data: JSON-serialisable, no computed fields, discriminated unions
 * on `type`. Everything derived (addresses, MTU, keys, peers) belongs to the plan.
 */
import { z } from 'zod';
import {
  HOST_NAME_RE,
  HOST_NAME_RULE,
  IFACE_NAME_RE,
  IFACE_NAME_RULE,
  LOCAL_PATH_RE,
  LOCAL_PATH_RULE,
  PROJECT_NAME_RE,
  PROJECT_NAME_RULE,
  SSH_HOST_RE,
  SSH_HOST_RULE,
  USER_NAME_RE,
  USER_NAME_RULE,
} from './names.js';
import { EntityId, fillIds } from './ids.js';
import { LinkConditionsSchema, UplinkSchema } from './conditions.js';
import { SuiteSchema } from './measure/suite-schema.js';
import { parseAddress, parsePrefix } from './net.js';

export const SCHEMA_VERSION = 5;

export const SHAPES = ['site-to-site', 'multi-site', 'hub-spoke', 'mesh'] as const;
export type Shape = (typeof SHAPES)[number];

export const ROLES = ['peer', 'hub', 'spoke'] as const;
export type Role = (typeof ROLES)[number];

export const MTU_MIN = 576;
export const MTU_MAX = 9216;

export const MEASUREMENT_TOOLS = ['ping', 'iperf3-tcp', 'iperf3-udp', 'iperf2-tcp', 'iperf2-udp', 'netperf', 'cpu'] as const;

const hostName = z.string().regex(HOST_NAME_RE, { error: HOST_NAME_RULE });

const prefix = z.string().superRefine((v, ctx) => {
  const p = parsePrefix(v);
  if (typeof p === 'string') ctx.addIssue({ code: 'custom', message: p });
});

const address = z.string().superRefine((v, ctx) => {
  const a = parseAddress(v);
  if (typeof a === 'string') ctx.addIssue({ code: 'custom', message: a });
});

const mtu = z
  .number({ error: `must be a whole number of bytes between ${MTU_MIN} and ${MTU_MAX}` })
  .int({ error: `must be a whole number of bytes between ${MTU_MIN} and ${MTU_MAX}` })
  .min(MTU_MIN, { error: `is below ${MTU_MIN}, the smallest MTU IPv4 guarantees; use ${MTU_MIN}–${MTU_MAX}` })
  .max(MTU_MAX, { error: `is above ${MTU_MAX}, the largest jumbo frame Overlab supports; use ${MTU_MIN}–${MTU_MAX}` });

/** Where a host lives: a namespace of the embedded lab, or a machine reached over SSH. */
export const TargetSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('lab') }),
    z.strictObject({
      type: z.literal('ssh'),
      /** DNS name or IP the machine running Overlab connects to. */
      address: z.string().regex(SSH_HOST_RE, { error: SSH_HOST_RULE }),
      port: z.number().int().min(1).max(65535).default(22),
      user: z.string().regex(USER_NAME_RE, { error: USER_NAME_RULE }).default('root'),
      /** Private key file on the machine running Overlab; absent ⇒ the SSH agent is tried. */
      identityFile: z.string().regex(LOCAL_PATH_RE, { error: LOCAL_PATH_RULE }).optional(),
      /** Run scripts through sudo when the login is not root (`sudo -n`; with `password`, sudo gets it). */
      sudo: z.boolean().default(false),
      /**
       * Log in with a password instead of a key or the agent. The password is never stored in
       * the project: it is asked for at deploy time (or read from OVERLAB_SSH_PASSWORD).
       */
      password: z.boolean().default(false),
      /**
       * Link conditions (tc on its underlay interface) may be applied on this machine: they
       * change its network, so they are applied only where the person says so.
       */
      applyConditions: z.boolean().optional(),
    }),
  ],
  { error: 'must be { type: lab } or { type: ssh, address: ... }' },
);

export const HostSchema = z.strictObject({
  /** Stable id (see ids.ts): kept across renames and reorders; filled in when absent. */
  id: EntityId.optional(),
  name: hostName,
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).default('peer'),
  target: TargetSchema.default({ type: 'lab' }),
  /** The site's LAN behind this host, routed over the tunnels. Optional: a host may have none. */
  lan: prefix.optional(),
  underlay: z
    .strictObject({
      /** The host's interface on the underlay (WAN). */
      interface: z.string().regex(IFACE_NAME_RE, { error: IFACE_NAME_RULE }).default('eth0'),
      /** The host's underlay address, which its peers dial. Required for SSH hosts; planned for lab hosts when absent. */
      address: address.optional(),
    })
    .default({ interface: 'eth0' }),
  os: z
    .strictObject({
      /** Which firewall front end renders the MSS clamping rules. */
      firewall: z.enum(['nftables', 'iptables'], { error: 'must be nftables or iptables' }).default('nftables'),
    })
    .default({ firewall: 'nftables' }),
  /** Conditions on everything the host sends (`up`) and receives (`down`) on its underlay: all its links share them. */
  uplink: UplinkSchema.optional(),
  /** Canvas position; only the UI reads it. */
  position: z.strictObject({ x: z.number(), y: z.number() }).optional(),
});

export const LinkSchema = z.strictObject({
  /** Stable id (see ids.ts): kept across edits of the link and reorders; filled in when absent. */
  id: EntityId.optional(),
  /** The two ends, by host name (readable in the file; a rename in the designer updates them). */
  a: hostName,
  b: hostName,
  /** Tunnel kind id from the catalogue (`overlab kinds`). */
  kind: z.string().min(1, { error: 'must name a tunnel kind (see `overlab kinds`)' }),
  /** Kind-specific options; each kind validates its own, with defaults. */
  options: z.record(z.string(), z.unknown()).default({}),
  /** Inner MTU override; wins over the computed one (warned about when larger). */
  mtu: mtu.optional(),
  /** What the underlay between the two ends does to packets, per direction (delay, loss, rate …). */
  conditions: LinkConditionsSchema.optional(),
});

export const MeasurementSchema = z.strictObject({
  tools: z.array(z.enum(MEASUREMENT_TOOLS, { error: `must be one of ${MEASUREMENT_TOOLS.join(', ')}` })).default(['ping', 'iperf3-tcp', 'iperf3-udp', 'cpu']),
  /** Seconds per throughput test. */
  duration: z.number().int().min(1).max(3600).default(10),
  pingCount: z.number().int().min(1).max(100000).default(100),
  /** Seconds between pings; below 0.2 needs root on the measuring host. */
  pingInterval: z.number().min(0.001).max(60).default(0.2),
  /** iperf UDP target rate, e.g. "1G", "500M". */
  udpBandwidth: z.string().regex(/^[0-9]+(\.[0-9]+)?[KMG]?$/, { error: 'write a rate like "500M" or "1G"' }).default('1G'),
  parallel: z.number().int().min(1).max(128).default(1),
  /** Measure each link's two ends, or every pair of hosts. */
  pairs: z.enum(['links', 'all-pairs']).default('links'),
  repetitions: z.number().int().min(1).max(1000).default(1),
  /** Suites of the project's own, by name (`overlab measure --suite NAME`); quick, paper, thorough and project are built in. */
  suites: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'suite names: 1–32 lowercase letters, digits and "-", starting with a letter' }), SuiteSchema).default({}),
});

/** What the advisor ranks kinds on first. */
export const NEED_PRIORITIES = ['latency', 'bulk', 'balanced'] as const;
/** The layer a tunnel must carry (`any`: either). */
export const NEED_LAYERS = ['L2', 'L3', 'any'] as const;

/**
 * The needs the advisor ranks tunnel kinds for (`overlab advise`, the Advisor tab, the report's
 * Advice section), stated once in the project. Every field is optional: absent, the advisor's
 * default (encryption not required, L2 or L3, no NAT, any MTU, balanced, any CPU). A flag of
 * `overlab advise` overrides the field for that call.
 */
export const AdviceSchema = z.strictObject({
  /** Only kinds that encrypt. */
  encrypted: z.boolean({ error: 'must be true (only kinds that encrypt) or false (any kind)' }).optional(),
  layer: z.enum(NEED_LAYERS, { error: `must be ${NEED_LAYERS.join(', ')} (the layer the tunnel must carry; any: either)` }).optional(),
  /** The tunnel must cross a NAT between its ends. */
  nat: z.boolean({ error: 'must be true (the tunnel crosses a NAT) or false' }).optional(),
  /** The smallest inner MTU the traffic needs (bytes). */
  minMtu: z
    .number({ error: 'must be a whole number of bytes from 68 to 65535 (the smallest inner MTU the traffic needs); leave it out for any' })
    .int({ error: 'must be a whole number of bytes from 68 to 65535 (the smallest inner MTU the traffic needs); leave it out for any' })
    .min(68, { error: 'is below 68, the smallest MTU IPv4 allows; use 68–65535 or leave it out for any' })
    .max(65535, { error: 'is above 65535, the largest IP packet; use 68–65535 or leave it out for any' })
    .optional(),
  /** The underlay's path MTU the tunnel rides (bytes); absent: the project's underlay MTU. */
  pathMtu: mtu.optional(),
  priority: z.enum(NEED_PRIORITIES, { error: `must be ${NEED_PRIORITIES.join(', ')} (what to rank on first)` }).optional(),
  /** The most CPU (busy % of the busier end's CPUs during bulk tests) a kind may use. */
  cpuBudget: z
    .number({ error: 'must be a percentage from 0 to 100 (busy share of the CPUs during bulk tests); leave it out for any' })
    .min(0, { error: 'must be a percentage from 0 to 100 (busy share of the CPUs during bulk tests); leave it out for any' })
    .max(100, { error: 'must be a percentage from 0 to 100 (busy share of the CPUs during bulk tests); leave it out for any' })
    .optional(),
});

/** The document's fields, before ids are filled in (validation reads its parts). */
export const TopologyFields = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  name: z.string().regex(PROJECT_NAME_RE, { error: PROJECT_NAME_RULE }),
  shape: z.enum(SHAPES, { error: `must be one of ${SHAPES.join(', ')}` }),
  underlay: z
    .strictObject({
      /**
       * The underlay network; lab hosts take their WAN addresses from it. IPv4 or IPv6 (the
       * tunnels then run over IPv6; LANs and pools stay as they are). The lab's own IPv6 range is
       * the RFC 4193 unique local fdf6:15da:557d::/48 (`overlab new --family 6` takes its first /64).
       */
      subnet: prefix.default('198.18.0.0/20'),
      mtu: mtu.default(1500),
    })
    .default({ subnet: '198.18.0.0/20', mtu: 1500 }),
  pools: z
    .strictObject({
      /** Tunnel (inner) addresses are allocated from here. */
      tunnels: prefix.default('198.19.0.0/16'),
    })
    .default({ tunnels: '198.19.0.0/16' }),
  lab: z
    .strictObject({
      /** Management network between the machine running Overlab and the lab hosts' sshd. */
      management: prefix.default('198.18.240.0/20'),
    })
    .default({ management: '198.18.240.0/20' }),
  hosts: z.array(HostSchema).min(1, { error: 'needs at least one host' }),
  links: z.array(LinkSchema).default([]),
  measurement: MeasurementSchema.default(() => MeasurementSchema.parse({})),
  /** The needs the advisor ranks kinds for; absent: its defaults. */
  advice: AdviceSchema.optional(),
});

/** The document: every host and link has its id (derived from its content when the file has none). */
export const TopologySchema = TopologyFields.transform((t) => ({ ...t, ...fillIds(t.hosts, t.links) }));

export type Topology = z.output<typeof TopologySchema>;
export type TopologyInput = z.input<typeof TopologySchema>;
export type Host = Topology['hosts'][number];
export type Link = Topology['links'][number];
export type Target = Host['target'];
export type Measurement = Topology['measurement'];
/** The stated needs as the document holds them (every field optional). */
export type StatedNeeds = z.output<typeof AdviceSchema>;
