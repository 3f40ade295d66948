/**
 * Plan and render for a project folder: opens the project, plans, makes sure the secrets
 * the plan refers to exist, renders the bundles and writes them out.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { error, hasErrors, type Diagnostic } from '../../shared/diagnostics.js';
import { plan, type Plan } from '../../shared/plan.js';
import { render, type HostBundle } from '../../shared/render.js';
import type { Topology } from '../../shared/schema.js';
import type { Registry } from '../../shared/tunnels/types.js';
import { ensureSecrets, type SecretSet } from '../secrets/store.js';
import { writeFileAtomic } from '../store/atomic.js';
import { openProject } from '../store/project.js';

export interface Planned {
  readonly topology?: Topology;
  readonly plan?: Plan;
  readonly diagnostics: readonly Diagnostic[];
}

export async function planProject(dir: string, registry: Registry): Promise<Planned> {
  const snap = await openProject(dir, registry);
  if (!snap.topology) return { diagnostics: snap.diagnostics };
  const p = plan(snap.topology, registry);
  return { topology: snap.topology, ...(p.value ? { plan: p.value } : {}), diagnostics: [...snap.diagnostics, ...p.diagnostics] };
}

export interface Rendered extends Planned {
  readonly bundles?: readonly HostBundle[];
  readonly secrets?: SecretSet;
}

export async function renderProject(dir: string, registry: Registry): Promise<Rendered> {
  const planned = await planProject(dir, registry);
  if (!planned.plan || hasErrors(planned.diagnostics)) return planned;
  const secrets = await ensureSecrets(dir, planned.plan.secrets);
  return { ...planned, bundles: render(planned.plan, registry, secrets.lookup), secrets };
}

/** Writes `OUT/<host>/{up.sh,down.sh,files/...}`; files keep their modes (secrets 0600). */
export async function writeBundles(out: string, bundles: readonly HostBundle[]): Promise<Diagnostic[]> {
  const problems: Diagnostic[] = [];
  for (const b of bundles) {
    const root = path.join(out, b.host);
    await fs.rm(root, { recursive: true, force: true });
    await fs.mkdir(path.join(root, 'files'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path.join(root, 'up.sh'), b.up, 0o755);
    await writeFileAtomic(path.join(root, 'down.sh'), b.down, 0o755);
    for (const f of b.files) {
      if (!path.isAbsolute(f.path) || path.normalize(f.path) !== f.path) {
        problems.push(error('bad-bundle-path', [], `bug: ${b.host} bundle file path ${JSON.stringify(f.path)} is not absolute and normal`));
        continue;
      }
      const target = path.join(root, 'files', f.path);
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
      await writeFileAtomic(target, f.content, f.mode);
    }
  }
  return problems;
}
