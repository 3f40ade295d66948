/**
 * `overlab demo` as a user runs it (root, the built CLI): a new 4-host hub-spoke with three
 * different kinds, lab up, deploy, quick measurement, PDF report, teardown, lab down. Checks
 * what it leaves: a project whose links carry three kinds, one complete run measuring each of
 * them, a PDF that names every host, and no namespace, link or lab state of its own behind.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labId, LAB_STATE_ROOT } from '../../src/engine/lab/lab.js';
import type { RunResults } from '../../src/shared/measure/results.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/overlab.mjs');
const root = process.getuid?.() === 0;

function run(argv: readonly string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!root)('overlab demo', () => {
  let tmp: string;
  let dir: string;
  let r: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-demo-'));
    dir = path.join(tmp, 'demo');
    r = await run(['node', CLI, 'demo', dir, '--duration', '1'], 400_000);
  }, 420_000);

  afterAll(async () => {
    // Whatever happened above, nothing of this lab stays.
    if (dir) await run(['node', CLI, 'lab', 'down', dir], 60_000);
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('runs to its end and prints where the report is', async () => {
    expect(r.code, `${r.stdout}\n${r.stderr}`.slice(-4000)).toBe(0);
    for (const stage of ['project', 'lab up', 'deploy', 'measure', 'report', 'teardown, lab down']) expect(r.stderr).toContain(`==> ${stage}\n`);
    const file = /^report: (.+)$/m.exec(r.stdout)?.[1];
    expect(file).toBeDefined();
    expect(path.dirname(file!)).toBe(path.join(dir, 'reports'));
    const pdf = await fs.readFile(file!);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = await run(['pdftotext', '-layout', file!, '-'], 60_000);
    expect(text.code).toBe(0);
    for (const host of ['hub', 'spoke-1', 'spoke-2', 'spoke-3']) expect(text.stdout).toContain(host);
  });

  it('a hub-spoke with three different kinds, each measured in one complete run', async () => {
    const doc = parse(await fs.readFile(path.join(dir, 'overlab.yaml'), 'utf8')) as { shape: string; hosts: unknown[]; links: { kind: string }[] };
    expect(doc.shape).toBe('hub-spoke');
    expect(doc.hosts).toHaveLength(4);
    expect(new Set(doc.links.map((l) => l.kind))).toEqual(new Set(['wireguard', 'vxlan', 'openvpn']));
    const runs = await fs.readdir(path.join(dir, 'runs'));
    expect(runs).toHaveLength(1);
    const results = JSON.parse(await fs.readFile(path.join(dir, 'runs', runs[0]!, 'results.json'), 'utf8')) as RunResults;
    expect(results.status).toBe('complete');
    for (const l of results.links) {
      const t = results.summary.paths[`${l.id}.tunnel`];
      expect(t?.rtt?.ms.mean, `${l.label}: RTT`).toBeGreaterThan(0);
      expect(Object.values(t?.throughput ?? {}).some((x) => x.mbps.mean > 0), `${l.label}: throughput`).toBe(true);
    }
    // The summary table on stdout names each link's kind.
    for (const k of ['wireguard', 'vxlan', 'openvpn']) expect(r.stdout).toContain(k);
  });

  it('leaves no namespace, link or lab state behind', async () => {
    const id = labId(dir);
    const ns = await run(['ip', 'netns', 'list'], 10_000);
    expect(ns.stdout.split('\n').filter((l) => l.startsWith(`olab-${id}-`))).toEqual([]);
    const links = await run(['ip', '-o', 'link', 'show'], 10_000);
    expect(links.stdout.split('\n').filter((l) => new RegExp(`: ol[bmw]${id}`).test(l))).toEqual([]);
    expect(await fs.stat(path.join(LAB_STATE_ROOT, id)).then(() => true, () => false)).toBe(false);
  });
});
