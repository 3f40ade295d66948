/**
 * The engine behind the API contract: one handler per operation, shared by Electron IPC,
 * `overlab serve` and the CLI. Handlers take checked arguments and return data; failures
 * are `ApiError`s carrying a code the UI can act on.
 */
import type { ApiErrorData, KindSummary, OperationArgs, OperationName, OperationResult, OverlabEvents } from '../shared/api.js';
import type { Diagnostic } from '../shared/diagnostics.js';
import type { Registry } from '../shared/tunnels/types.js';
import { validateTopology } from '../shared/validate.js';
import { planProject } from './services/bundles.js';
import { openProject, saveProject } from './store/project.js';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorData['code'],
    message: string,
    readonly diagnostics?: readonly Diagnostic[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toData(): ApiErrorData {
    return { code: this.code, message: this.message, ...(this.diagnostics ? { diagnostics: this.diagnostics } : {}) };
  }
}

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

export function createEngine({ registry }: EngineOptions): Handlers {
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
    'render.bundles': later('render.bundles', 'the tunnel catalogue'),
    'lab.up': later('lab.up', 'the embedded lab'),
    'lab.down': later('lab.down', 'the embedded lab'),
    'deploy.apply': later('deploy.apply', 'the deploy engine'),
    'deploy.teardown': later('deploy.teardown', 'the deploy engine'),
    'measure.run': later('measure.run', 'the measurement suite'),
    'report.pdf': later('report.pdf', 'reports'),
  };
}
