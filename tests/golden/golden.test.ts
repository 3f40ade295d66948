/**
 * Golden files: each `tests/golden/<case>/overlab.yaml` is planned and rendered (secrets as
 * placeholders) and compared byte for byte with `tests/golden/<case>/expected/`. Every kind
 * of the catalogue has a case named `kind-<id>` and one over an IPv6 underlay, `kind-<id>-ipv6`.
 *
 * After an intended change: `UPDATE_GOLDEN=1 npx vitest run tests/golden`, then review the
 * diff of expected/ like code. The same command creates the case of a new kind.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectTree } from './tree.js';
import { parseProject, serializeProject } from '../../src/shared/document.js';
import { plan } from '../../src/shared/plan.js';
import { render } from '../../src/shared/render.js';
import { placeholderSecrets } from '../../src/shared/secrets.js';
import { LAB_IPV6_UNDERLAY, makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const registry = defaultRegistry;

/** Every file of a rendered case, path relative to expected/ → content. */
function renderCase(dir: string): Map<string, string> {
  const parsed = parseProject(readFileSync(path.join(dir, 'overlab.yaml'), 'utf8'), registry);
  if (!parsed.value) throw new Error(`${dir}: ${JSON.stringify(parsed.diagnostics)}`);
  const p = plan(parsed.value.topology, registry);
  if (!p.value) throw new Error(`${dir}: ${JSON.stringify(p.diagnostics)}`);
  const out = new Map<string, string>();
  const { networks, ...rest } = p.value;
  out.set('plan.json', `${JSON.stringify({ ...rest, networks: networks.map((n) => ({ ...n, routes: n.routes.length })) }, null, 2)}\n`);
  for (const b of render(p.value, registry, placeholderSecrets)) {
    out.set(`${b.host}/up.sh`, b.up);
    out.set(`${b.host}/down.sh`, b.down);
    for (const f of b.files) out.set(`${b.host}/files${f.path}`, `${f.content}${f.content.endsWith('\n') ? '' : '\n'}# mode ${f.mode.toString(8)}${f.secret ? ' secret' : ''}\n`);
  }
  return out;
}

// Two cases for every kind that has none: `kind-<id>`, a hub-spoke of 3 where supported (two
// links, routing through the hub), else a site-to-site; and `kind-<id>-ipv6`, the same on an
// IPv6 underlay (the lab's own range; LANs and tunnel addresses IPv4).
if (update) {
  for (const kind of registry.kinds) {
    for (const [suffix, underlay] of [['', undefined], ['-ipv6', LAB_IPV6_UNDERLAY]] as const) {
      const dir = path.join(here, `kind-${kind.id}${suffix}`);
      if (existsSync(path.join(dir, 'overlab.yaml'))) continue;
      const shape = kind.shapes.includes('hub-spoke') ? 'hub-spoke' : 'site-to-site';
      const t = makeTemplate(
        { template: shape, hosts: shape === 'hub-spoke' ? 3 : 2, kind: kind.id, name: `golden ${kind.id}${underlay ? ' over IPv6' : ''}`, ...(underlay ? { underlaySubnet: underlay } : {}) },
        registry,
      );
      if (!t.value) throw new Error(`${kind.id}${suffix}: ${JSON.stringify(t.diagnostics)}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'overlab.yaml'), serializeProject(t.value));
    }
  }
}

const cases = readdirSync(here).filter((n) => existsSync(path.join(here, n, 'overlab.yaml'))).sort();

describe('golden bundles', () => {
  it('cover every kind of the catalogue', () => {
    const missing = registry.kinds.flatMap((k) => [`kind-${k.id}`, `kind-${k.id}-ipv6`]).filter((c) => !cases.includes(c));
    expect(missing, 'run UPDATE_GOLDEN=1 npx vitest run tests/golden to create their cases').toEqual([]);
  });

  for (const c of cases) {
    it(`${c} renders exactly as expected/`, () => {
      const dir = path.join(here, c);
      const actual = renderCase(dir);
      expectTree(actual, path.join(dir, 'expected'));
    });
  }
});
