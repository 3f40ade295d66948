/**
 * The engine behind the API contract: one handler per operation, shared by Electron IPC,
 * `overlab serve` and the CLI. Handlers take checked arguments and return data; failures
 * are `ApiError`s carrying a code the UI can act on.
 */
import type { KindSummary, OperationArgs, OperationName, OperationResult, OverlabEvents } from '../shared/api.js';
import { hasErrors } from '../shared/diagnostics.js';
import type { Registry } from '../shared/tunnels/types.js';
import { validateTopology } from '../shared/validate.js';
import { ApiError } from './api-error.js';
import { deploy, teardown } from './deploy/deploy.js';
import { chooseLabLayout, labDown, labUp } from './lab/lab.js';
import { planProject, renderProject, writeBundles } from './services/bundles.js';
import { openProject, saveProject } from './store/project.js';

// ApiError lives in its own module so that dispatch (and serve) do not load the engine's deploy stack.
export { ApiError };

export type Handlers = {
  readonly [K in OperationName]: (args: OperationArgs<K>) => Promise<OperationResult<K>>;
};

export type Emit = <E extends keyof OverlabEvents>(event: E, payload: OverlabEvents[E]) => void;

export interface EngineOptions {
  readonly registry: Registry;
  readonly emit?: Emit;
}

const later = (op: OperationName, issue: string) => (): Promise<never> =>
  Promise.reject(new ApiError('not-implemented', `${op} is not available yet (${issue})`));

export function createEngine({ registry, emit }: EngineOptions): Handlers {
  return {
    'project.open': ({ dir }) => openProject(dir, registry),
    'project.save': ({ dir, topology }) => saveProject(dir, topology, registry),
    'project.validate': ({ topology }) => Promise.resolve({ diagnostics: validateTopology(topology, registry).diagnostics }),
    'kinds.list': () =>
      Promise.resolve(
        registry.kinds.map((k): KindSummary => ({ id: k.id, label: k.label, layer: k.layer, encrypted: k.encrypted, shapes: k.shapes })),
      ),
    // The plan carries secret references (ids), never secret values: safe to hand to a UI.
    'plan.compute': async ({ dir }) => {
      const p = await planProject(dir, registry);
      return { plan: p.plan, diagnostics: p.diagnostics };
    },
    'render.bundles': async ({ dir, out }) => {
      const r = await renderProject(dir, registry);
      if (!r.bundles || hasErrors(r.diagnostics)) return { hosts: [], diagnostics: r.diagnostics };
      const problems = await writeBundles(out, r.bundles);
      return { hosts: r.bundles.map((b) => b.host), diagnostics: [...r.diagnostics, ...problems] };
    },
    'lab.up': async ({ dir }) => {
      const p = await planProject(dir, registry);
      if (!p.topology || !p.plan) throw new ApiError('invalid-arguments', `${dir} does not plan; fix its problems first`, p.diagnostics);
      const L = await chooseLabLayout(dir, p.topology, p.plan);
      return labUp(dir, L, (e) => emit?.('progress', { operation: 'lab', ...(e.host ? { host: e.host } : {}), step: e.step, status: 'running' }));
    },
    'lab.down': ({ dir }) => labDown(dir),
    'deploy.apply': async ({ dir, hosts, dryRun, acceptHostKeys }) => {
      const run = await deploy(dir, registry, { ...(hosts ? { hosts } : {}), dryRun: !!dryRun, ...(acceptHostKeys ? { acceptHostKeys } : {}), onProgress: (e) => emit?.('progress', e) });
      if (run.diagnostics.some((d) => d.severity === 'error')) throw new ApiError('invalid-arguments', 'the project does not render; fix its problems first', run.diagnostics);
      return { ok: run.ok, failed: run.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: ${h.failedStep ?? ''}: ${h.error ?? ''}`) };
    },
    'deploy.teardown': async ({ dir }) => {
      const run = await teardown(dir, registry, { onProgress: (e) => emit?.('progress', e) });
      return { ok: run.ok, failed: run.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: ${h.error ?? ''}`) };
    },
    'measure.run': later('measure.run', 'the measurement suite'),
    'report.pdf': later('report.pdf', 'reports'),
  };
}
