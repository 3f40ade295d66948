/** The conditions badge an edge carries, from the link's conditions as set in the project. */
import { describe, expect, it } from 'vitest';
import { makeTemplate } from '../../../shared/templates';
import { defaultRegistry } from '../../../shared/tunnels/index';
import { designBadge, toFlow } from './toFlow';

describe('the conditions badge on an edge', () => {
  it('is absent for none, a perfect wire, and for the wired-LAN preset (nothing added)', () => {
    expect(designBadge(undefined)).toBe('');
    expect(designBadge({})).toBe('');
    expect(designBadge({ preset: 'lan' })).toBe('');
  });
  it('shows a preset’s figures, with a field typed over them', () => {
    expect(designBadge({ preset: 'isp-wan' })).toBe('20 ms ±1 · 0.1 %');
    expect(designBadge({ preset: 'isp-wan', both: { rate: 50 } })).toBe('20 ms ±1 · 0.1 % · 50M');
  });
  it('names each direction where they differ (a→b | b→a), none included', () => {
    expect(designBadge({ aToB: { rate: 40 }, bToA: { rate: 80 } })).toBe('40M | 80M');
    expect(designBadge({ aToB: { rate: 40 } })).toBe('40M | none');
  });
  it('rides on the edge toFlow draws, and changes with the link', () => {
    const t = makeTemplate({ template: 'site-to-site', hosts: 2, kind: 'vxlan' }, defaultRegistry).value!;
    const plain = toFlow(t, undefined, new Map(), {}, new Set(), new Set());
    expect(plain.edges[0]!.data?.conditions).toBeUndefined();
    const shaped = { ...t, links: [{ ...t.links[0]!, conditions: { both: { rate: 40 } } }] };
    expect(toFlow(shaped, undefined, new Map(), {}, new Set(), new Set()).edges[0]!.data?.conditions).toBe('40M');
  });
});
