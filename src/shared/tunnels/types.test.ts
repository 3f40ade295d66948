import { describe, expect, it } from 'vitest';
import { gre } from './gre.js';
import { lookupKind, requireKind, type Registry, type TunnelKind } from './types.js';
import { vxlan } from './vxlan.js';

describe('kind lookup by id', () => {
  it('finds each kind of the list, and names the supported ones for an unknown id', () => {
    const registry: Registry = { kinds: [vxlan, gre] };
    expect(requireKind(registry, 'gre')).toBe(gre);
    expect(requireKind(registry, 'vxlan')).toBe(vxlan);
    const miss = lookupKind(registry, 'nope');
    expect(miss).toEqual({ ok: false, message: expect.stringContaining('supported kinds: vxlan, gre') });
    expect(() => requireKind(registry, 'nope')).toThrow(/bug: unknown tunnel kind/);
  });
  it('gives the first of a duplicated id, as a search of the list does', () => {
    const other = { ...gre, label: 'another GRE' } as TunnelKind;
    expect(requireKind({ kinds: [other, gre] }, 'gre')).toBe(other);
  });
  it('finds a kind added to the list after a lookup indexed it', () => {
    const kinds: TunnelKind[] = [vxlan];
    const registry: Registry = { kinds };
    expect(lookupKind(registry, 'gre').ok).toBe(false);
    kinds.push(gre);
    expect(requireKind(registry, 'gre')).toBe(gre);
  });
});
