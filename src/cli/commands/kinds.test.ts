/** `overlab kinds`: the capability table (shapes × underlay families) as printed and as JSON. */
import { describe, expect, it } from 'vitest';
import { SHAPES } from '../../shared/schema.js';
import { defaultRegistry } from '../../shared/tunnels/index.js';
import { refusal } from '../../shared/tunnels/types.js';
import { runCli, type Io } from '../main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await runCli(argv, io);
  return { code, out, err };
}

describe('overlab kinds: shapes and underlay families', () => {
  it('prints one row per kind with yes/no per shape and family, and the reason under every no', async () => {
    const r = await cli('kinds', '--no-probe');
    expect(r.code).toBe(0);
    const table = r.out.slice(r.out.indexOf('KIND            S2S'));
    expect(table.split('\n')[0]).toBe('KIND            S2S   MULTI HUB   MESH  IPv4  IPv6');
    for (const k of defaultRegistry.kinds) {
      const row = table.split('\n').find((l) => l.startsWith(`${k.id.padEnd(15)} `))!;
      const expected = [...SHAPES.map((s) => k.capabilities.shapes[s]), k.capabilities.underlay.ipv4, k.capabilities.underlay.ipv6].map((c) => (refusal(c) ? 'no' : 'yes'));
      expect(row.slice(16).trim().split(/\s+/), k.id).toEqual(expected);
    }
    // OpenVPN is client/server: its mesh cell says no, with the kind's own reason below its row.
    const no = refusal(defaultRegistry.kinds.find((k) => k.id === 'openvpn')!.capabilities.shapes.mesh)!;
    expect(table).toMatch(new RegExp(`^openvpn .*\\n(?:\\s+.*\\n)*?\\s+no mesh: ${no.replace(/[.()*+?[\]\\]/g, '\\$&')}$`, 'm'));
  });

  it('says how each kind builds each cell with --how', async () => {
    const r = await cli('kinds', '--no-probe', '--how');
    const vx = defaultRegistry.kinds.find((k) => k.id === 'vxlan')!.capabilities;
    expect(r.out).toContain(`   mesh: ${(vx.shapes.mesh as { how: string }).how}`);
    expect(r.out).toContain(`   IPv6 underlay: ${(vx.underlay.ipv6 as { how: string }).how}`);
    expect((await cli('kinds', '--no-probe')).out).not.toContain('   mesh: ');
  });

  it('gives the whole table in --json', async () => {
    const r = await cli('kinds', '--no-probe', '--json');
    const rows = JSON.parse(r.out) as { id: string; shapes: string[]; capabilities: { shapes: Record<string, { how?: string; no?: string }>; underlay: Record<string, { how?: string; no?: string }> } }[];
    expect(rows.map((x) => x.id)).toEqual(defaultRegistry.kinds.map((k) => k.id));
    for (const row of rows) {
      const k = defaultRegistry.kinds.find((x) => x.id === row.id)!;
      expect(row.capabilities).toEqual(k.capabilities);
      expect(row.shapes).toEqual(SHAPES.filter((s) => 'how' in row.capabilities.shapes[s]!));
    }
  });
});
