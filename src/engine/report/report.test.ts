/**
 * report.pdf's formats that need no browser (JSON, CSV), where reports go, and report.appendix:
 * each host's scripts and configs with every value of the secret store redacted (an OpenVPN
 * project: certificates, keys and a static key the kind prints in lines of its own). PDF and
 * HTML are printed in Chromium by tests/lab/report.lab.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../shared/measure/results.js';
import { defaultRegistry } from '../../shared/tunnels/index.js';
import { createEngine } from '../engine.js';
import { readSecretValues } from './redact.js';
import { reportQuery } from './report.js';

const engine = createEngine({ registry: defaultRegistry });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'overlab-report-'));
const dir = path.join(tmp, 'vpn');
const fixture = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../tests/fixtures/results/hub3/results.json'), 'utf8')) as RunResults;

beforeAll(async () => {
  await engine['project.create']({ dir, template: 'hub-spoke', hosts: 3, kind: 'openvpn' });
  await fs.mkdir(path.join(dir, 'runs', fixture.runId), { recursive: true });
  await fs.writeFile(path.join(dir, 'runs', fixture.runId, 'results.json'), JSON.stringify(fixture));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('report.appendix', () => {
  it('prints every host’s scripts and configs with no value of the secret store in them', async () => {
    const a = await engine['report.appendix']({ dir });
    expect(a.hosts.map((h) => h.host).sort()).toEqual(['hub', 'spoke-1', 'spoke-2']);
    const secrets = await readSecretValues(dir);
    expect(secrets.some((s) => s.name.endsWith('/tls-crypt/value'))).toBe(true);
    const text = JSON.stringify(a);
    const flat = text.replace(/\\n|\s+/g, '');
    for (const s of secrets) {
      for (const part of [s.value.trim(), ...s.value.split('\n').filter((l) => l.trim().length >= 16 && !l.startsWith('-----'))]) {
        expect(text.includes(part.trim()), s.name).toBe(false);
        expect(flat.includes(part.replace(/\s+/g, '')), `${s.name} (re-wrapped)`).toBe(false);
      }
    }
    const hub = a.hosts.find((h) => h.host === 'hub')!;
    const conf = hub.files.find((f) => f.path.endsWith('.conf'))!;
    expect(conf.content).toMatch(/<tls-crypt>[\s\S]*«redacted: openvpn\/[^»]+\/tls-crypt\/value»[\s\S]*<\/tls-crypt>/);
    expect(conf.content).toContain('<key>\n«redacted: openvpn/');
    expect(hub.up).toContain('#!/bin/sh');
    expect(hub.bundleHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('report.pdf without a browser', () => {
  it('writes the newest run’s results as JSON into the project’s reports/ folder by default', async () => {
    const r = await engine['report.pdf']({ dir, format: 'json' });
    expect(r.file).toBe(path.join(dir, 'reports', `report-${fixture.runId}.json`));
    expect(JSON.parse(await fs.readFile(r.file, 'utf8'))).toEqual(fixture);
    expect(r.bytes).toBe((await fs.stat(r.file)).size);
  });

  it('writes CSV where it is told, relative to the project folder', async () => {
    const r = await engine['report.pdf']({ dir, runId: fixture.runId, format: 'csv', file: 'out/links.csv' });
    expect(r.file).toBe(path.join(dir, 'out', 'links.csv'));
    const lines = (await fs.readFile(r.file, 'utf8')).trimEnd().split('\r\n');
    expect(lines.filter((l) => l.includes(',rtt_mean,'))).toHaveLength(fixture.links.length);
  });

  it('refuses a report of a run and a campaign at once, and a project with no run', async () => {
    await expect(engine['report.pdf']({ dir, runId: fixture.runId, campaignId: 'c1', format: 'json' })).rejects.toThrow(/not both/);
    const empty = path.join(tmp, 'empty');
    await engine['project.create']({ dir: empty, template: 'site-to-site', hosts: 2, kind: 'vxlan' });
    await expect(engine['report.pdf']({ dir: empty, format: 'csv' })).rejects.toThrow(/no measurement run/);
  });

  it('names the report route’s subject, folder and metric in its query', () => {
    const q = new URLSearchParams(reportQuery('/srv/a b', { kind: 'run', runId: 'r1' }, 'tcp'));
    expect(Object.fromEntries(q)).toEqual({ run: 'r1', dir: '/srv/a b', metric: 'tcp' });
    expect(new URLSearchParams(reportQuery('/p', { kind: 'campaign', id: 'c1' })).get('campaign')).toBe('c1');
  });
});
