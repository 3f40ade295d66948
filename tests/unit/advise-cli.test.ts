/**
 * `overlab advise` and `advise.get` on a project holding the campaign captured in the lab
 * (tests/fixtures/results/campaign), through the CLI as a user runs it: the table with reasons,
 * --json, and clear errors naming the flag.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type Io } from '../../src/cli/main.js';
import { dispatch } from '../../src/engine/dispatch.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Advice } from '../../src/shared/advise/index.js';
import type { CampaignFile } from '../../src/shared/measure/campaign.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures/results');
const camp = JSON.parse(readFileSync(path.join(FIX, 'campaign/campaign.json'), 'utf8')) as CampaignFile;
let dir = '';
const engine = createEngine({ registry: defaultRegistry });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'overlab-advise-cli-'));
  await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'vxlan' });
  mkdirSync(path.join(dir, 'campaigns', camp.id), { recursive: true });
  writeFileSync(path.join(dir, 'campaigns', camp.id, 'campaign.json'), JSON.stringify(camp));
  for (const c of camp.cells) cpSync(path.join(FIX, 'campaign/runs', c.runId!), path.join(dir, 'runs', c.runId!), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  return { code: await runCli(argv, io), out, err };
};

describe('overlab advise', () => {
  it('--json: the ranking from the campaign, each kind with its run', async () => {
    const r = await cli('advise', dir, '--encrypted', '--priority', 'latency', '--json');
    expect(r.code).toBe(0);
    const a = JSON.parse(r.out) as Advice;
    expect(a.needs).toMatchObject({ encrypted: true, priority: 'latency' });
    expect(a.basis?.source).toBe(`campaign ${camp.id} at MTU 1500`);
    expect(a.ranking.map((x) => x.kind).sort()).toEqual(['openvpn', 'wireguard']);
    for (const x of a.ranking) expect(x.runId).toBe(camp.cells.find((c) => c.label === x.label && c.mtu === 1500)!.runId);
    expect(a.excluded.find((e) => e.kind === 'vxlan')).toMatchObject({ why: 'capability', reason: 'not encrypted' });
  });

  it('the table: rank, figures, the reasons, the tie, the kinds left out', async () => {
    const r = await cli('advise', dir, '--priority', 'latency');
    expect(r.code).toBe(0);
    const a = await engine['advise.get']({ dir, needs: { priority: 'latency' } });
    // Without the probe, every candidate not measured is suggested; with it, only what this kernel carries.
    expect(a.measure?.kinds).toContain('gre');
    const vx = a.ranking.find((x) => x.kind === 'vxlan')!;
    const row = r.out.split('\n').find((l) => /^\d+=?\s+vxlan\s/.test(l));
    expect(row).toContain(vx.figures['rtt']!.value.toFixed(3));
    expect(row).toContain(vx.runId);
    expect(r.out).toMatch(/why: RTT mean [0-9.]+ ±[0-9.]+ ms \(median [0-9.]+ ms\)/);
    expect(r.out).toContain('TIE: the measurement cannot order');
    // Left out, with the kinds that share a reason on one line.
    const gre = a.excluded.find((e) => e.kind === 'gre')!;
    const left = r.out.slice(r.out.indexOf('left out:'));
    expect(left).toMatch(/\bgre\b/);
    expect(left).toContain(gre.reason);
    expect(r.out).toContain('noise floor: RTT ±');
  });

  it.each([
    [['--layer', 'L4'], '--layer must be one of L2, L3, any, not "L4"'],
    [['--priority', 'fast'], '--priority must be one of latency, bulk, balanced, not "fast"'],
    [['--cpu-budget', '150'], '--cpu-budget must be a percentage from 0 to 100'],
    [['--min-mtu', 'big'], '--min-mtu must be a whole number, not "big"'],
  ])('%j is refused naming the flag', async (flags, message) => {
    const r = await cli('advise', dir, ...flags);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(message);
  });

  it('reads the needs overlab.yaml states (advice:), flags override them, and says which came from where', async () => {
    const file = path.join(dir, 'overlab.yaml');
    const before = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, `${before}advice:\n  encrypted: true\n  priority: latency\n`);
      const a = JSON.parse((await cli('advise', dir, '--priority', 'bulk', '--json')).out) as Advice;
      expect(a.needs).toMatchObject({ encrypted: true, priority: 'bulk' });
      expect(a.needsFrom).toEqual({ project: ['encrypted'], asked: ['priority'] });
      expect(a.excluded.find((e) => e.kind === 'vxlan')).toMatchObject({ why: 'capability', reason: 'not encrypted' });
      const text = (await cli('advise', dir)).out;
      expect(text).toContain('needs from: encrypted, priority from the project\'s advice section (overlab.yaml); defaults for the rest');
      expect(text).toMatch(/RANK .* CPU % per Gbit\/s +RUN/);
    } finally {
      writeFileSync(file, before);
    }
    expect((await cli('advise', dir)).out).toContain('needs from: the advisor\'s defaults');
  });

  it('advise.get checks its needs and names the field', async () => {
    const r = await dispatch(engine, 'advise.get', { dir, needs: { minMtu: 20 } }, true);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid-arguments' } });
    expect(!r.ok && r.error.message).toContain('needs.minMtu');
  });

  it('overlab kinds says which kinds cross a NAT, as the catalogue declares', async () => {
    const r = await cli('kinds', '--no-probe');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/LAYER +ENC +NAT +OVERHEAD/);
    for (const k of defaultRegistry.kinds) {
      const row = r.out.split('\n').find((l) => l.startsWith(`${k.id.padEnd(15)} `))!;
      expect(row.slice(16).split(/ +/)[2], k.id).toBe(k.natTraversal ? 'yes' : 'no');
    }
    const json = JSON.parse((await cli('kinds', '--no-probe', '--json')).out) as { id: string; natTraversal?: string }[];
    expect(json.find((k) => k.id === 'wireguard')?.natTraversal).toMatch(/UDP/);
    expect(json.find((k) => k.id === 'gre')).not.toHaveProperty('natTraversal');
  });
});
