/**
 * A tunnel kind: one file under `src/shared/tunnels/`, listed once in `index.ts`.
 * Nothing else in the code switches on a kind's id. A kind declares what it is and what
 * it needs, allocates its own numbers in the plan step (`plan`), and only formats text
 * from the plan in `render`.
 */
import type { z } from 'zod';
import { shown } from '../diagnostics.js';
import type { Family } from '../net.js';
import type { Shape } from '../schema.js';
import type { SecretSpec } from '../secrets.js';

export type Layer = 'L2' | 'L3';

/**
 * How links of a kind become networks:
 *  - `p2p`: every link is its own network of two members (GRE, VXLAN, IPsec, …).
 *  - `mesh`: all links of the kind form one network, one interface per host, peers from the
 *    links (WireGuard, tinc, Nebula).
 *  - `star`: one network per hub; the hub runs the server, the others are clients (OpenVPN, ocserv).
 */
export type NetworkModel = 'p2p' | 'mesh' | 'star';

/**
 * One cell of a kind's capability table: how the kind builds it (`how`, for people: the
 * picker's hint, `overlab kinds --how`), or why it cannot (`no`: validation and the picker
 * refuse it with this reason).
 */
export type Support = { readonly how: string } | { readonly no: string };

/** The underlay families of the capability table, keyed as `overlab kinds --json` shows them. */
export const FAMILY_KEYS = ['ipv4', 'ipv6'] as const;
export type FamilyKey = (typeof FAMILY_KEYS)[number];
export const familyKey = (f: Family): FamilyKey => (f === 4 ? 'ipv4' : 'ipv6');

/**
 * What a kind builds, stated once in its own file: per shape of the topology and per underlay
 * family, how it does it or why it cannot. Validation, the picker, `overlab kinds` and the proof
 * matrix (`npm run proof`) read it; nothing else says which shapes a kind carries.
 */
export interface Capabilities {
  readonly shapes: { readonly [S in Shape]: Support };
  readonly underlay: { readonly [F in FamilyKey]: Support };
}

/** The cell's reason when the kind cannot, else undefined. */
export const refusal = (s: Support): string | undefined => ('no' in s ? s.no : undefined);

export interface Requirements {
  /** Kernel modules (or built-ins) the kind needs, e.g. `ip_gre`. */
  readonly modules: readonly string[];
  /** Debian packages that provide the binaries. */
  readonly packages: readonly string[];
  /** Executables that must be on PATH. */
  readonly binaries: readonly string[];
  /**
   * A shell snippet that succeeds only if the running kernel can carry the kind, run as
   * root in a scratch network namespace with a veth pair `olprobe0`/`olprobe1` (addresses
   * 198.18.255.1/30 and .2) — e.g. creating the kind's device once. Absent: nothing to probe.
   */
  readonly probe?: string;
  /**
   * Ports the kind's daemons or kernel sockets listen on, checked free by the preflight
   * (when no Overlab bundle is deployed on the host yet: a deployed one may hold them, and
   * is torn down before the new one goes up). `role`: only members with that role listen.
   */
  readonly ports?: readonly ListenPort[];
}

export interface ListenPort {
  readonly proto: 'udp' | 'tcp';
  readonly port: number;
  readonly role?: Member['role'];
}

export interface Member {
  readonly host: string;
  /** Interface this member's end of the network uses (planned, unique on the host, ≤ 15 bytes). */
  readonly ifname: string;
  /** Tunnel address with prefix length, e.g. `198.19.0.0/31`. */
  readonly address: string;
  /** The host's underlay address and device. */
  readonly underlay: string;
  readonly underlayDev: string;
  /** The LAN behind this member's host, if it has one (for kinds that authorise or announce it: Nebula certificates, tinc Subnets). */
  readonly lan?: string;
  /** `server`/`client` in star networks, `lighthouse` for Nebula's, otherwise `peer`. */
  readonly role: 'peer' | 'server' | 'client' | 'lighthouse';
}

/** Routes to LANs across the network, as the plan decided them. */
export interface NetRoute {
  readonly host: string;
  readonly dst: string;
  /** The member whose tunnel address is the next hop. */
  readonly viaHost: string;
  readonly via: string;
}

/** What a kind's `plan` sees: the network before its kind-specific numbers. */
export interface NetworkDraft<O = unknown> {
  readonly id: string;
  /** Position of this network among the plan's networks of the same kind (0-based). */
  readonly ordinal: number;
  readonly options: O;
  readonly family: Family;
  readonly members: readonly Member[];
  /** Pairs of member indices joined by a link of the topology. */
  readonly edges: readonly (readonly [number, number])[];
  readonly subnet: string;
  readonly mtu: number;
  readonly mss: number;
}

/**
 * Kind-specific allocations: plain numbers and strings, printed by `render`. Each kind types
 * its own (`TunnelKind<Options, Params>`), as an object type (not an interface, which would
 * not fit this index signature).
 */
export type Params = Readonly<Record<string, string | number | boolean | readonly (string | number)[]>>;

export interface Network<O = unknown, P extends Params = Params> extends NetworkDraft<O> {
  readonly kind: string;
  readonly params: P;
  readonly routes: readonly NetRoute[];
  readonly secrets: readonly SecretSpec[];
}

/** Secret material, looked up by reference; `part` selects e.g. `private`/`public`/`cert`. */
export type SecretLookup = (ref: string, part?: string) => string;

export interface RenderContext<O = unknown, P extends Params = Params> {
  readonly net: Network<O, P>;
  /** Index of the member being rendered. */
  readonly self: number;
  readonly secret: SecretLookup;
  /** The host's state directory for pid files and sockets (`/run/overlab`). */
  readonly runDir: string;
}

export interface BundleFile {
  /** Absolute path on the host. */
  readonly path: string;
  readonly mode: number;
  readonly content: string;
  /** Holds secret material: mode must be 0600 and the content is never printed. */
  readonly secret?: boolean;
}

/** One member's share of a network: files to install and script lines (already quoted). */
export interface HostPart {
  readonly files: readonly BundleFile[];
  /** Idempotent lines for up.sh: guarded creation, `replace` rather than `add`. */
  readonly up: readonly string[];
  /** Lines for down.sh; each must succeed when there is nothing to remove. */
  readonly down: readonly string[];
  /**
   * Interface that carries the routes (usually the member's ifname). It exists once the kind's
   * `up` lines have run: a device a daemon makes is waited for there (`ol_wait_link`).
   */
  readonly routeDev?: string;
}

/**
 * `O`: the kind's options (its schema's output); `P`: the numbers its `plan` allocates, which
 * its `render` reads back with their types.
 */
export interface TunnelKind<O = unknown, P extends Params = Params> {
  /** Stable id used in `overlab.yaml` (`links[].kind`), e.g. `wireguard`. */
  readonly id: string;
  readonly label: string;
  readonly layer: Layer;
  readonly encrypted: boolean;
  /**
   * How the kind's traffic crosses a NAT between the ends (UDP with keepalives, IKE's NAT-T…);
   * absent: it cannot (an IP protocol with no port for a NAT to map, or UDP to a port both ends
   * must reach directly). The advisor excludes kinds without it when NAT traversal is needed.
   */
  readonly natTraversal?: string;
  readonly model: NetworkModel;
  /** Per shape and underlay family: how the kind builds it, or why it cannot. */
  readonly capabilities: Capabilities;
  /** The shapes whose cell says how (derived from `capabilities` by `defineKind`, in SHAPES order). */
  readonly shapes: readonly Shape[];
  /**
   * The kind joins the hosts themselves and cannot carry the LANs behind them (IPsec transport
   * mode): the plan routes no LAN over its links, and warns when the hosts have LANs.
   */
  readonly hostsOnly?: boolean;
  /** 2–6 lowercase letters; interfaces are named `ol<prefix><n>`. */
  readonly ifPrefix: string;
  /**
   * `underlay`: the kind adds no interface and no addresses (clean IP); members use their
   * underlay address and device. Default: addresses from the tunnel pool.
   */
  readonly addressing?: 'pool' | 'underlay';
  /** The kind's options with defaults; `{}` must parse. */
  readonly options: z.ZodType<O>;
  /** Human-readable transport, e.g. `UDP 4789` or `IP proto 47`. */
  transport(o: O): string;
  requirements(o: O): Requirements;
  /**
   * Bytes the whole stack adds to an inner packet of the largest size that fits, for an
   * underlay of `family` and MTU `underlayMtu`; inner MTU = underlayMtu − overhead.
   * L2 kinds count the inner Ethernet header here.
   */
  overhead(o: O, family: Family, underlayMtu: number): number;
  /** Kind-specific numbers (ports, VNIs, keys ids, marks) and the secrets the network needs. */
  plan(draft: NetworkDraft<O>): { params: P; secrets: readonly SecretSpec[] };
  render(ctx: RenderContext<O, P>): HostPart;
}

/** The list of kinds a caller works with. Tests build their own. */
export interface Registry {
  readonly kinds: readonly TunnelKind[];
}

/** A lookup by id: the kind, or why there is none (with the list of supported ones). */
export type KindLookup = { readonly ok: true; readonly kind: TunnelKind } | { readonly ok: false; readonly message: string };

/** Each kinds list by id, built on first lookup (plan and render look a kind up per link and per network end). */
const kindIndexes = new WeakMap<readonly TunnelKind[], ReadonlyMap<string, TunnelKind>>();

export function lookupKind(registry: Registry, id: string): KindLookup {
  let index = kindIndexes.get(registry.kinds);
  if (!index) {
    const byId = new Map<string, TunnelKind>();
    // The first of a duplicated id wins, as a search from the start would find it.
    for (const k of registry.kinds) if (!byId.has(k.id)) byId.set(k.id, k);
    kindIndexes.set(registry.kinds, (index = byId));
  }
  // A miss searches the list itself: a kind added to the list after it was indexed is still found.
  const kind = index.get(id) ?? registry.kinds.find((k) => k.id === id);
  if (kind) return { ok: true, kind };
  return { ok: false, message: `unknown tunnel kind ${shown(id)}; supported kinds: ${registry.kinds.map((k) => k.id).join(', ')}` };
}

/**
 * The kind of a link or network that validation already accepted (plan, render, deploy):
 * an unknown id here is a bug, not a user's mistake.
 */
export function requireKind(registry: Registry, id: string): TunnelKind {
  const r = lookupKind(registry, id);
  if (!r.ok) throw new Error(`bug: ${r.message}`);
  return r.kind;
}

/** What a kind's file declares: everything but what is derived from it. */
export type KindDeclaration<O = unknown, P extends Params = Params> = Omit<TunnelKind<O, P>, 'shapes'>;

/**
 * Declares a kind, checking its option and parameter types against its schema and its plan; the
 * kind keeps them (an overlay over IPsec reads its base kind's params). Derives `shapes` from the
 * capability table, so that the table is the only place a kind says what it builds.
 */
export const defineKind = <O, P extends Params>(kind: KindDeclaration<O, P>): TunnelKind<O, P> => ({
  ...kind,
  shapes: (Object.keys(kind.capabilities.shapes) as Shape[]).filter((s) => !refusal(kind.capabilities.shapes[s])),
});
