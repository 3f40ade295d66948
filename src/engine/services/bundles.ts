/**
 * Plan and render for a project folder: opens the project, plans, makes sure the secrets
 * the plan refers to exist, renders the bundles and writes them out.
 */
import path from 'node:path';
import { error, hasErrors, type Diagnostic } from '../../shared/diagnostics.js';
import { plan, type Plan } from '../../shared/plan.js';
import { render, type HostBundle } from '../../shared/render.js';
import type { Topology } from '../../shared/schema.js';
import type { Registry } from '../../shared/tunnels/types.js';
import { ensureSecrets, type SecretSet } from '../secrets/store.js';
import { ensureDir, removeTree, writeFile, writeMarker } from '../safe-fs.js';
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

/** What `render --out` writes into each host folder's marker: only such a folder is replaced. */
const RENDERED_BY = 'overlab render';

/**
 * Writes `OUT/<host>/{up.sh,down.sh,files/...}`; files keep their modes (secrets 0600). A host
 * folder already there is replaced only when `overlab render` made it (its marker file), never
 * through a link: OUT is a place the person named, and may hold anything.
 */
export async function writeBundles(out: string, bundles: readonly HostBundle[]): Promise<Diagnostic[]> {
  const problems: Diagnostic[] = [];
  await ensureDir(out, 0o755);
  for (const b of bundles) {
    const root = path.join(out, b.host);
    await removeTree(root, RENDERED_BY);
    // The folder holds secrets (keys, PSKs): private to root until the person reads it.
    await ensureDir(path.join(root, 'files'), 0o700);
    await writeFile(path.join(root, 'up.sh'), b.up, { mode: 0o755 });
    await writeFile(path.join(root, 'down.sh'), b.down, { mode: 0o755 });
    for (const f of b.files) {
      if (!path.isAbsolute(f.path) || path.normalize(f.path) !== f.path) {
        problems.push(error('bad-bundle-path', [], `bug: ${b.host} bundle file path ${JSON.stringify(f.path)} is not absolute and normal`));
        continue;
      }
      await writeFile(path.join(root, 'files', f.path), f.content, { mode: f.mode, dirMode: 0o755 });
    }
    await writeMarker(root, RENDERED_BY);
  }
  return problems;
}
