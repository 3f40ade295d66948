/**
 * Test support for the kernel encapsulation kinds' tests (ipip, gre, gretap, fou, gue, geneve,
 * macvlan, macsec): a template project of one kind, planned and rendered, the words of its
 * `ip link add` lines, its option diagnostics, and the shellcheck pass every kind's scripts get.
 * Used by tests only (it runs shellcheck through node:child_process), so it is outside the
 * src/shared layer rule and the browser-side typechecks.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { plan, type Plan } from '../../plan.js';
import { render, type HostBundle } from '../../render.js';
import type { Shape, Topology } from '../../schema.js';
import { placeholderSecrets } from '../../secrets.js';
import { makeTemplate } from '../../templates.js';
import { validateTopology } from '../../validate.js';
import type { Registry, SecretLookup, TunnelKind } from '../types.js';

/** How a test project departs from the template: underlay MTU, options on every link, IPv6 underlay or tunnel pool. */
export interface Variant {
  readonly mtu?: number;
  readonly options?: Record<string, unknown>;
  readonly v6Underlay?: boolean;
  readonly v6Pool?: boolean;
}

export interface KindHarness {
  readonly kind: TunnelKind;
  readonly registry: Registry;
  /** A `template` project of `hosts` hosts of the kind, as `v` says. */
  topology(template: Shape, hosts: number, v?: Variant): Topology;
  planOf(t: Topology): Plan;
  bundles(p: Plan, secret?: SecretLookup): HostBundle[];
  /**
   * Validates the two-host project with `options` on its one link and expects a diagnostic at
   * `links[0].options.FIELD` for every field named.
   */
  expectOptionErrors(options: Record<string, unknown>, ...fields: readonly string[]): void;
}

/** The harness of one kind, in a registry of that kind alone. */
export function kindHarness(kind: TunnelKind): KindHarness {
  const registry: Registry = { kinds: [kind] };
  const topology = (template: Shape, hosts: number, v: Variant = {}): Topology => {
    const t = makeTemplate({ template, hosts, kind: kind.id, underlayMtu: v.mtu ?? 1500 }, registry);
    if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
    return {
      ...t.value,
      ...(v.v6Underlay ? { underlay: { ...t.value.underlay, subnet: '2001:db8:0:1::/64' } } : {}),
      ...(v.v6Pool ? { pools: { tunnels: 'fd00:198:19::/48' } } : {}),
      links: t.value.links.map((l) => ({ ...l, options: v.options ?? {} })),
    };
  };
  const planOf = (t: Topology): Plan => {
    const p = plan(t, registry);
    if (!p.value) throw new Error(JSON.stringify(p.diagnostics));
    return p.value;
  };
  const bundles = (p: Plan, secret: SecretLookup = placeholderSecrets): HostBundle[] => render(p, registry, secret);
  const expectOptionErrors = (options: Record<string, unknown>, ...fields: readonly string[]): void => {
    const t = topology('site-to-site', 2);
    const r = validateTopology({ ...t, links: [{ ...t.links[0]!, options }] }, registry);
    const paths = r.diagnostics.map((d) => d.path);
    for (const f of fields) expect(paths).toContain(`links[0].options.${f}`);
  };
  return { kind, registry, topology, planOf, bundles, expectOptionErrors };
}

/** The words of the line of `script` that creates `ifname`, from `ip link add` on. */
export function linkAdd(script: string, ifname: string): string[] {
  const line = script.split('\n').find((l) => l.includes(`ip link add ${ifname} `));
  if (!line) throw new Error(`no ip link add ${ifname} in:\n${script}`);
  return line.slice(line.indexOf('ip link add')).split(' ');
}

/** The word after `key` in `words`, if `key` is there. */
export const after = (words: readonly string[], key: string): string | undefined => (words.includes(key) ? words[words.indexOf(key) + 1] : undefined);

const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

/** One test per case: every host's up.sh and down.sh of the project pass `shellcheck -s sh` without a word (skipped without shellcheck). */
export function itPassesShellcheck(h: KindHarness, cases: readonly (readonly [Shape, number, Variant])[]): void {
  it.skipIf(!hasShellcheck).each(cases)('scripts pass shellcheck (%s, %i hosts, %j)', (shape, n, variant) => {
    for (const b of h.bundles(h.planOf(h.topology(shape, n, variant)))) {
      for (const s of [b.up, b.down]) {
        const r = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: s, encoding: 'utf8' });
        expect(r.stdout + r.stderr).toBe('');
      }
    }
  });
}
