/**
 * The proof matrix (`npm run proof`): which cells run, which are unsupported by design, and the
 * table made from prove.ts's real output (tests/fixtures/prove/: logs captured from runs on this
 * project's lab).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { defineKind, refusal, type Params, type Registry, type TunnelKind } from '../../src/shared/tunnels/types.js';
import { caseSpec, cellsFrom, markdownTable, MATRIX_CASES, parseProveLog, planMatrix, README_END, README_START, replaceBetweenMarkers, tally, textTable, UsageError } from '../tunnels/proof-matrix.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/prove/${name}`, import.meta.url), 'utf8');
/** vxlan and tinc, site-to-site / hub-spoke 3 / mesh 4 at underlay MTU 1500 and 9000, all passed. */
const SHAPES_LOG = fixture('vxlan-tinc-shapes.txt');
/** The case lines of a log as prove.ts printed them. */
const caseLines = (text: string): string[] => text.split('\n').filter((l) => /^(ok {3}|FAIL )/.test(l));

const prov = { date: '2026-12-08T00:00:00Z', commit: 'abc1234', command: 'npm run proof' };

describe('the matrix plan', () => {
  it('has every shape the issue names at IPv4 1500 and 9000 and IPv6 1500, with prove.ts specs', () => {
    expect(MATRIX_CASES.map((c) => c.id)).toEqual(['s2s-1500', 'hub-1500', 'mesh-1500', 's2s-9000', 'hub-9000', 'mesh-9000', 's2s-v6', 'hub-v6', 'mesh-v6']);
    const hubV6 = MATRIX_CASES.find((c) => c.id === 'hub-v6')!;
    expect(caseSpec('vxlan', hubV6)).toBe('vxlan:hub-spoke:3:1500:underlay=6');
    expect(caseSpec('gre', MATRIX_CASES.find((c) => c.id === 'mesh-9000')!)).toBe('gre:mesh:4:9000');
  });

  it('runs every cell the catalogue claims and leaves out, with the kind\'s reason, every cell it refuses', () => {
    const p = planMatrix(defaultRegistry, undefined, undefined);
    expect(p.toRun.length + p.unsupported.size).toBe(defaultRegistry.kinds.length * MATRIX_CASES.length);
    for (const k of defaultRegistry.kinds) {
      for (const c of MATRIX_CASES) {
        const why = refusal(k.capabilities.shapes[c.shape]) ?? refusal(k.capabilities.underlay[c.family === 4 ? 'ipv4' : 'ipv6']);
        expect(p.unsupported.get(caseSpec(k.id, c)), caseSpec(k.id, c)).toBe(why);
        expect(p.toRun.includes(caseSpec(k.id, c)), caseSpec(k.id, c)).toBe(!why);
      }
    }
    // OpenVPN is client/server: no mesh, whatever the MTU or family.
    expect([...p.unsupported.keys()].filter((s) => s.startsWith('openvpn:'))).toEqual(['openvpn:mesh:4:1500', 'openvpn:mesh:4:9000', 'openvpn:mesh:4:1500:underlay=6']);
  });

  it('leaves out the IPv6 column of a kind whose table refuses IPv6', () => {
    const base = defaultRegistry.kinds.find((k) => k.id === 'vxlan')! as unknown as TunnelKind;
    const v4only = defineKind<unknown, Params>({ ...base, id: 'v4only', capabilities: { shapes: base.capabilities.shapes, underlay: { ipv4: { how: 'x' }, ipv6: { no: 'its outer header is IPv4 only' } } } });
    const reg: Registry = { kinds: [v4only] };
    const p = planMatrix(reg, undefined, undefined);
    expect([...p.unsupported.keys()]).toEqual(['v4only:site-to-site:2:1500:underlay=6', 'v4only:hub-spoke:3:1500:underlay=6', 'v4only:mesh:4:1500:underlay=6']);
    expect(p.unsupported.get('v4only:mesh:4:1500:underlay=6')).toBe('its outer header is IPv4 only');
  });

  it('keeps to --only and --cases, and refuses unknown ones with the list', () => {
    const p = planMatrix(defaultRegistry, ['vxlan', 'tinc'], ['s2s-1500', 'mesh-v6']);
    expect(p.kinds).toEqual(['vxlan', 'tinc']);
    expect(p.cases).toEqual(MATRIX_CASES);
    expect(p.toRun).toEqual(['vxlan:site-to-site:2:1500', 'vxlan:mesh:4:1500:underlay=6', 'tinc:site-to-site:2:1500', 'tinc:mesh:4:1500:underlay=6']);
    expect(() => planMatrix(defaultRegistry, ['vxlam'], undefined)).toThrow(UsageError);
    expect(() => planMatrix(defaultRegistry, ['vxlam'], undefined)).toThrow(/unknown kind vxlam; kinds: clean, /);
    expect(() => planMatrix(defaultRegistry, undefined, ['hub-1600'])).toThrow(/unknown case hub-1600; cases: s2s-1500, /);
  });
});

describe('prove.ts output, as captured from the lab', () => {
  it('reads every case line of a real log: spec, result and seconds', () => {
    const log = parseProveLog(SHAPES_LOG);
    const lines = caseLines(SHAPES_LOG);
    expect(lines.length).toBe(12);
    expect(log.results.size).toBe(lines.length);
    for (const l of lines) {
      const spec = l.split(' ').filter(Boolean)[1]!;
      const r = log.results.get(spec)!;
      expect(r.ok, spec).toBe(l.startsWith('ok'));
      expect(l, spec).toContain(`(${r.seconds} s;`);
    }
    // The run's own summary line: 12 cases, with its seconds.
    const summary = /^\((\d+) cases in \d+ labs, (\d+) s,/m.exec(SHAPES_LOG)!;
    expect(log.stages).toEqual([{ stage: 'unknown', cases: Number(summary[1]), seconds: Number(summary[2]) }]);
  });

  it('reads a failed case and its first failed check', () => {
    const text = fixture('fail.txt');
    const log = parseProveLog(text);
    const failLine = caseLines(text).find((l) => l.startsWith('FAIL'))!;
    const spec = failLine.split(' ')[1]!;
    const r = log.results.get(spec)!;
    expect(r.ok).toBe(false);
    const firstCheck = text.split('\n')[text.split('\n').indexOf(failLine) + 1]!.trim().replace(/^FAIL /, '');
    expect(r.detail).toBe(firstCheck);
    expect([...log.results.values()].some((x) => x.ok)).toBe(true);
  });

  it('reads run-all.sh\'s stages, the cases it skipped without the VM, and what proof.ts wrote on top', () => {
    // `npm run proof -- --only vxlan,gre --cases s2s-1500 --no-vm`, as kept by proof.ts.
    const text = fixture('run-all-no-vm.txt');
    const log = parseProveLog(text);
    const stage = /^\((\d+) cases in \d+ labs?, (\d+) s,/m.exec(text)!;
    expect(log.stages).toEqual([{ stage: 'here', cases: Number(stage[1]), seconds: Number(stage[2]) }]);
    expect([...log.skippedNoVm]).toEqual(['gre:site-to-site:2:1500']);
    expect(log.meta.command).toBe('npm run proof -- --only vxlan,gre --cases s2s-1500 --no-vm --out /tmp/shapes-logs/mini.md --log /tmp/shapes-logs/mini-log.txt');
    expect(log.meta.commit).toMatch(/^[0-9a-f]{7}/);
    const cells = cellsFrom(planMatrix(defaultRegistry, ['vxlan', 'gre'], ['s2s-1500']), log);
    expect(cells.find((c) => c.spec === 'gre:site-to-site:2:1500')!.note).toBe('this kernel lacks the kind and the full-kernel VM stage was skipped (--no-vm)');
    expect(cells.find((c) => c.spec === 'vxlan:site-to-site:2:1500')!.status).toBe('ok');
  });
});

describe('the table', () => {
  const planned = planMatrix(defaultRegistry, ['vxlan', 'tinc', 'openvpn'], undefined);
  const log = parseProveLog(SHAPES_LOG);
  const cells = cellsFrom(planned, log);

  it('puts each logged result in its cell, the refused cells as unsupported, and the rest as not run', () => {
    const t = tally(cells);
    expect(t).toEqual({ ok: 12, FAIL: 0, unsupported: 3, 'not run': 12 });
    const text = textTable(cells, planned.cases);
    const vxlan = text.split('\n').find((l) => l.startsWith('vxlan '))!;
    const secs = (spec: string): number => log.results.get(spec)!.seconds;
    expect(vxlan).toContain(`ok ${secs('vxlan:mesh:4:9000')}s`);
    expect(vxlan.match(/ok \d+s/g)!.length).toBe(6);
    expect(vxlan.match(/not run/g)!.length).toBe(3);
    expect(text.split('\n').find((l) => l.startsWith('openvpn '))!.match(/unsupp\./g)!.length).toBe(3);
    expect(text).toContain('12 ok, 0 failed, 3 unsupported by design, 12 not run');
  });

  it('writes markdown with provenance, says it is partial and why each cell did not run', () => {
    const md = markdownTable(cells, planned.cases, log, prov, false);
    expect(md).toContain('on 2026-12-08T00:00:00Z at commit `abc1234`');
    expect(md).toMatch(/Partial: only some kinds were asked for \(--only\); the cells marked "not run" did not run/);
    expect(md).toContain(`| vxlan | ok (${log.results.get('vxlan:site-to-site:2:1500')!.seconds} s) |`);
    expect(md).toContain('- `openvpn` mesh-1500 mesh-9000 mesh-v6: OpenVPN is client/server');
    expect(md).toContain('- `vxlan` s2s-v6 hub-v6 mesh-v6; `tinc` s2s-v6 hub-v6 mesh-v6; `openvpn` s2s-1500 hub-1500 s2s-9000 hub-9000 s2s-v6 hub-v6: no result in the log');
  });

  it('is not partial when every cell of the whole matrix is ok or unsupported', () => {
    // VXLAN as if it refused IPv6: its six IPv4 cells are in the real log, the IPv6 ones unsupported.
    const base = defaultRegistry.kinds.find((k) => k.id === 'vxlan')! as unknown as TunnelKind;
    const v4 = defineKind<unknown, Params>({ ...base, capabilities: { shapes: base.capabilities.shapes, underlay: { ipv4: { how: 'x' }, ipv6: { no: 'no IPv6 here' } } } });
    const p = planMatrix({ kinds: [v4] }, undefined, undefined);
    const md = markdownTable(cellsFrom(p, log), p.cases, log, prov, true);
    expect(md).toContain('**6 ok, 0 failed, 3 unsupported by design, 0 not run.**\n');
    expect(md).not.toContain('Partial');
  });

  it('shows every case, the ones not asked for as not run', () => {
    const p = planMatrix(defaultRegistry, ['vxlan'], ['s2s-1500', 'mesh-9000']);
    expect(p.toRun).toEqual(['vxlan:site-to-site:2:1500', 'vxlan:mesh:4:9000']);
    const c = cellsFrom(p, log);
    expect(c.length).toBe(MATRIX_CASES.length);
    expect(c.find((x) => x.spec === 'vxlan:hub-spoke:3:1500')).toMatchObject({ status: 'not run', note: 'not asked for (--cases)' });
    expect(c.find((x) => x.spec === 'vxlan:mesh:4:9000')).toMatchObject({ status: 'ok', seconds: log.results.get('vxlan:mesh:4:9000')!.seconds });
  });

  it('says why a cell the log lacks did not run: skipped without the VM, or a kind this kernel lacks', () => {
    const p = planMatrix(defaultRegistry, ['gre', 'wireguard', 'vxlan'], ['s2s-1500']);
    const skipped = parseProveLog('== skipped (--no-vm): gre:site-to-site:2:1500\n');
    const c = cellsFrom(p, skipped, new Set(['gre', 'wireguard']));
    const note = (spec: string): string | undefined => c.find((x) => x.spec === spec)!.note;
    expect(note('gre:site-to-site:2:1500')).toBe('this kernel lacks the kind and the full-kernel VM stage was skipped (--no-vm)');
    expect(note('wireguard:site-to-site:2:1500')).toMatch(/^no result in the log; this machine's kernel lacks the kind/);
    expect(note('vxlan:site-to-site:2:1500')).toBe('no result in the log');
  });

  it('replaces the README between its markers, and refuses a README without them', () => {
    const readme = `# X\n\n${README_START}\nold\n${README_END}\n\nafter\n`;
    const out = replaceBetweenMarkers(readme, 'new table\n');
    expect(out).toBe(`# X\n\n${README_START}\nnew table\n${README_END}\n\nafter\n`);
    expect(replaceBetweenMarkers(out, 'newer\n')).toContain(`${README_START}\nnewer\n${README_END}`);
    expect(() => replaceBetweenMarkers('# X\n', 't')).toThrow(/no .* markers/);
  });
});
