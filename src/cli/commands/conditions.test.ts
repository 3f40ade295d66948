/** `overlab conditions DIR LINK|HOST …`: the edit of the document, as the inspector makes it. */
import { describe, expect, it } from 'vitest';
import type { Topology } from '../../shared/schema.js';
import { makeTemplate } from '../../shared/templates.js';
import { defaultRegistry } from '../../shared/tunnels/index.js';
import { edit, UsageError } from './conditions.js';

const hubSpoke = (): Topology => makeTemplate({ template: 'hub-spoke', hosts: 3, kind: 'vxlan', name: 'c' }, defaultRegistry).value!;

describe('overlab conditions: the edit', () => {
  const t = hubSpoke();
  it('sets one direction of a link named a--b with --from, merging into what is there', () => {
    const once = edit(t, 'hub--spoke-1', { rate: 50, from: 'spoke-1' }).topology;
    const twice = edit(once, 'spoke-1--hub', { delay: 5, from: 'spoke-1' }).topology;
    const l = twice.links.find((x) => x.b === 'spoke-1')!;
    expect(l.conditions).toEqual({ bToA: { rate: 50, delay: 5 } });
    expect(edit(twice, l.id, { clear: true, from: 'spoke-1' }).topology.links.find((x) => x.id === l.id)!.conditions).toBeUndefined();
  });
  it('sets a host’s uplink (both, or --up / --down) and a preset', () => {
    const u = edit(edit(t, 'spoke-2', { preset: 'constrained-uplink' }).topology, 'spoke-2', { rate: 5, down: true }).topology;
    expect(u.hosts.find((h) => h.name === 'spoke-2')!.uplink).toEqual({ preset: 'constrained-uplink', down: { rate: 5 } });
  });
  it('refuses what says no edit, with the reason', () => {
    expect(() => edit(t, 'nowhere', { rate: 1 })).toThrow(UsageError);
    expect(() => edit(t, 'nowhere', { rate: 1 })).toThrow(/links: hub--spoke-1, hub--spoke-2; hosts: hub, spoke-1, spoke-2/);
    expect(() => edit(t, 'hub--spoke-1', { rate: 1, from: 'spoke-2' })).toThrow(/--from must be one end of hub--spoke-1/);
    expect(() => edit(t, 'hub', { rate: 1, from: 'hub' })).toThrow(/--up or --down/);
    expect(() => edit(t, 'hub', {})).toThrow(/say what to set/);
    expect(() => edit(t, 'hub', { preset: 'moon' })).toThrow(/--preset must be one of lan, .*isp-wan/);
  });
});
