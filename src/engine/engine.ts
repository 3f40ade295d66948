/**
 * The engine behind the API contract: one handler per operation, the same for every door —
 * the CLI calls them in-process, `overlab serve` over HTTP, the Electron app over IPC.
 * Handlers take checked arguments and return data; failures are `ApiError`s carrying a code
 * the door can act on. Long operations are runs: each has an id (the caller's or a new one)
 * that every progress and log event carries, and `run.cancel` stops it.
 *
 * Modules that are heavy to load (node-ssh for deploy, certificate issuing) are imported by
 * the handlers that need them, so that `overlab validate` does not pay for them.
 */
import path from 'node:path';
import type { KindInfo, LabUpResult, ProgressEvent, RunOperation } from '../shared/api.js';
import { hasErrors, type Diagnostic } from '../shared/diagnostics.js';
import type { Topology } from '../shared/schema.js';
import { makeTemplate } from '../shared/templates.js';
import type { Registry } from '../shared/tunnels/types.js';
import { validateTopology } from '../shared/validate.js';
import { ApiError } from './api-error.js';
import type { Emit, Handlers } from './handlers.js';
import { checkRequirements, conditionsCapability } from './capability.js';
import { listExamples, readExample } from './examples.js';
import { chooseLabLayout, knownHostsPath, labDown, labUp } from './lab/lab.js';
import { listRuns, readRun, scanRuns } from './measure/store.js';
import { Runs } from './runs.js';
import { planProject, renderProject, writeBundles } from './services/bundles.js';
import { listFolders } from './folders.js';
import { Prompts } from './prompts.js';
import { addRecent, recentProjects } from './recent.js';
import { resolvePath, TooLargeError, UnsafePathError } from './safe-fs.js';
import { createProject, openProject, SaveConflict, saveProject } from './store/project.js';

export { ApiError };

export type { Emit, Handlers } from './handlers.js';

export interface EngineOptions {
  readonly registry: Registry;
  readonly emit?: Emit;
  /**
   * Asks for the login password of an SSH host whose target says `password: true` (the CLI
   * on the terminal, the UI in a dialog). Never stored; redacted from every message.
   */
  readonly password?: (host: string, login: string) => Promise<string | undefined>;
}

/** The catalogue as `overlab kinds` and the tunnel picker show it; `probe` asks this machine's kernel. */
export async function kindInfos(registry: Registry, probe: boolean): Promise<KindInfo[]> {
  const rows: KindInfo[] = [];
  const conditionsHere = probe ? await conditionsCapability() : undefined;
  for (const k of registry.kinds) {
    const defaults = k.options.parse({});
    const req = k.requirements(defaults);
    const cap = probe ? await checkRequirements(req) : undefined;
    rows.push({
      id: k.id,
      label: k.label,
      layer: k.layer,
      encrypted: k.encrypted,
      ...(k.natTraversal ? { natTraversal: k.natTraversal } : {}),
      model: k.model,
      shapes: k.shapes,
      capabilities: k.capabilities,
      transport: k.transport(defaults),
      overheadBytes: { ipv4: { mtu1500: k.overhead(defaults, 4, 1500), mtu9000: k.overhead(defaults, 4, 9000) }, ipv6: { mtu1500: k.overhead(defaults, 6, 1500) } },
      requirements: { modules: req.modules, packages: req.packages, binaries: req.binaries },
      ...(cap ? { here: cap.verdict, missing: cap.missing } : {}),
      ...(conditionsHere ? { conditionsHere } : {}),
    });
  }
  return rows;
}

const notPlanned = (dir: string, diagnostics: readonly Diagnostic[]): ApiError => new ApiError('invalid-arguments', `${dir} does not plan; fix its problems first`, diagnostics);

/**
 * Every folder an operation is given (`dir`, and the folder above `out`) is made real once, here,
 * for every door: links on the way are followed only when root made them (safe-fs
 * `resolvePath`), so that everything below works on a path with no link in it. A path that
 * cannot be trusted is the caller's to fix.
 */
function withRealPaths(h: Handlers): Handlers {
  const out: Record<string, (a: unknown) => Promise<unknown>> = {};
  for (const [name, handler] of Object.entries(h) as [string, (a: unknown) => Promise<unknown>][]) {
    out[name] = async (args) => {
      const a = args as Record<string, unknown> | undefined;
      if (!a || (typeof a.dir !== 'string' && typeof a.out !== 'string')) return handler(args);
      try {
        return await handler({
          ...a,
          ...(typeof a.dir === 'string' ? { dir: await resolvePath(a.dir) } : {}),
          // An output folder's own name is never resolved: a link there is refused, not followed.
          ...(typeof a.out === 'string' ? { out: path.join(await resolvePath(path.dirname(path.resolve(a.out))), path.basename(path.resolve(a.out))) } : {}),
        });
      } catch (e) {
        if (e instanceof UnsafePathError || e instanceof TooLargeError) throw new ApiError('invalid-arguments', e.message);
        throw e;
      }
    };
  }
  return out as unknown as Handlers;
}

export function createEngine(options: EngineOptions): Handlers {
  return withRealPaths(engineHandlers(options));
}

/** What every group of handlers shares: the catalogue, the runs under way, the prompts, how to ask a password, a run's progress events. */
interface Context {
  readonly registry: Registry;
  readonly runs: Runs;
  readonly prompts: Prompts;
  readonly password: ((host: string, login: string) => Promise<string | undefined>) | undefined;
  readonly progressOf: (runId: string, operation: RunOperation) => (e: Omit<ProgressEvent, 'runId' | 'operation'> & { operation?: RunOperation }) => void;
}

/** A group of handlers, typed by the contract (the operations it names, each with its own signature). */
const group = <K extends keyof Handlers>(h: { readonly [P in K]: Handlers[P] }): Pick<Handlers, K> => h;

function engineHandlers({ registry, emit, password: askPassword }: EngineOptions): Handlers {
  const runs = new Runs();
  // A door that cannot ask on a terminal (serve, the desktop app) asks with a prompt event.
  const prompts = new Prompts(emit);
  const password = askPassword ?? (emit ? (host: string, login: string) => prompts.password(host, login) : undefined);
  /** Progress events of one run, its id added. */
  const progressOf =
    (runId: string, operation: RunOperation) =>
    (e: Omit<ProgressEvent, 'runId' | 'operation'> & { operation?: RunOperation }): void =>
      emit?.('progress', { ...e, runId, operation: e.operation ?? operation });

  const ctx: Context = { registry, runs, prompts, password, progressOf };
  return { ...projectHandlers(ctx), ...deployHandlers(ctx), ...sessionHandlers(ctx), ...measureHandlers(ctx), ...outputHandlers(ctx) };
}

/** The project: open, save, create, validate; the catalogue; plan and render. */
function projectHandlers({ registry }: Context) {
  return group({
    'project.open': ({ dir, warningPositions }) => openProject(dir, registry, warningPositions === undefined ? {} : { warningPositions }),
    'project.save': async ({ dir, topology, expectedRevision, force }) => {
      try {
        return await saveProject(dir, topology, registry, undefined, { ...(expectedRevision ? { expectedRevision } : {}), force: !!force });
      } catch (e) {
        if (e instanceof SaveConflict) throw new ApiError('conflict', e.message);
        throw e;
      }
    },
    'project.create': async (args) => {
      const { dir, name, underlayMtu, force } = args;
      let topology: Topology;
      if ('example' in args) {
        const ex = await readExample(args.example, registry);
        if (!ex.value) throw new ApiError('invalid-arguments', `the example ${args.example} cannot be used`, ex.diagnostics);
        topology = { ...ex.value, ...(name !== undefined ? { name } : {}), ...(underlayMtu !== undefined ? { underlay: { ...ex.value.underlay, mtu: underlayMtu } } : {}) };
      } else {
        const { underlaySubnet } = args;
        const t = makeTemplate(
          { template: args.template, hosts: args.hosts, kind: args.kind, ...(name !== undefined ? { name } : {}), ...(underlayMtu !== undefined ? { underlayMtu } : {}), ...(underlaySubnet !== undefined ? { underlaySubnet } : {}) },
          registry,
        );
        if (!t.value) throw new ApiError('invalid-arguments', 'the template cannot make that project', t.diagnostics);
        topology = t.value;
      }
      const snap = await createProject(dir, topology, registry, { force: force ?? false });
      if (!snap.topology) throw new ApiError('invalid-arguments', snap.diagnostics.map((d) => d.message).join('; '), snap.diagnostics);
      return snap;
    },
    'project.examples': () => listExamples(registry),
    'project.validate': ({ topology }) => Promise.resolve({ diagnostics: validateTopology(topology, registry).diagnostics }),
    'kinds.list': ({ probe }) => kindInfos(registry, probe ?? false),
    'plan.compute': async ({ dir }) => {
      const p = await planProject(dir, registry);
      return { ...(p.plan ? { plan: p.plan } : {}), diagnostics: p.diagnostics };
    },
    'render.bundles': async ({ dir, out }) => {
      const r = await renderProject(dir, registry);
      if (!r.bundles || hasErrors(r.diagnostics)) throw new ApiError('invalid-arguments', `${dir} does not render; fix its problems first`, r.diagnostics);
      const problems = await writeBundles(out, r.bundles);
      if (hasErrors(problems)) throw new ApiError('failed', 'the bundles could not be written', problems);
      return {
        hosts: r.bundles.map((b) => b.host),
        files: r.bundles.reduce((n, b) => n + b.files.length, 0),
        secretsCreated: r.secrets?.created.length ?? 0,
        diagnostics: [...r.diagnostics, ...problems],
      };
    },
  });
}

/** The embedded lab and deploying to the hosts: runs, with progress. */
function deployHandlers({ registry, runs, password, progressOf }: Context) {
  return group({
    'lab.up': ({ dir, runId }) =>
      runs.run('lab', runId, async (run): Promise<LabUpResult> => {
        const p = await planProject(dir, registry);
        if (!p.topology || !p.plan || hasErrors(p.diagnostics)) throw notPlanned(dir, p.diagnostics);
        const L = await chooseLabLayout(dir, p.topology, p.plan);
        const started = Date.now();
        const progress = progressOf(run.id, 'lab');
        const r = await labUp(dir, L, (e) => progress({ ...(e.host ? { host: e.host } : {}), step: e.step, status: 'running' }));
        progress({ step: 'up', status: 'done', fraction: 1 });
        return { id: L.id, hosts: L.hosts.map((h) => h.name), created: r.created, removed: r.removed, management: `${L.mgmtGateway}/${L.mgmtLength}`, knownHosts: knownHostsPath(dir), durationMs: Date.now() - started };
      }),
    'lab.down': ({ dir, runId }) => runs.run('lab', runId, () => labDown(dir)),
    'deploy.apply': ({ dir, runId, hosts, dryRun, keepGoing, acceptHostKeys, concurrency }) =>
      runs.run('deploy', runId, async (run) => {
        const { deploy } = await import('./deploy/deploy.js');
        const result = await deploy(dir, registry, {
          ...(hosts ? { hosts } : {}),
          dryRun: !!dryRun,
          keepGoing: !!keepGoing,
          ...(acceptHostKeys ? { acceptHostKeys } : {}),
          ...(concurrency ? { concurrency } : {}),
          ...(password ? { password } : {}),
          onProgress: progressOf(run.id, 'deploy'),
          signal: run.signal,
        });
        // A project that does not render is the caller's to fix, not a run that failed.
        if (result.hosts.length === 0 && hasErrors(result.diagnostics) && !result.diagnostics.some((d) => d.path === '--hosts')) throw notPlanned(dir, result.diagnostics);
        return result;
      }),
    'deploy.teardown': ({ dir, runId, hosts, acceptHostKeys, concurrency }) =>
      runs.run('teardown', runId, async (run) => {
        const { teardown } = await import('./deploy/deploy.js');
        const result = await teardown(dir, registry, {
          ...(hosts ? { hosts } : {}),
          ...(acceptHostKeys ? { acceptHostKeys } : {}),
          ...(concurrency ? { concurrency } : {}),
          ...(password ? { password } : {}),
          onProgress: progressOf(run.id, 'teardown'),
          signal: run.signal,
        });
        if (result.hosts.length === 0 && hasErrors(result.diagnostics) && !result.diagnostics.some((d) => d.path === '--hosts')) throw notPlanned(dir, result.diagnostics);
        return result;
      }),
  });
}

/** The door's session: cancelling runs, folders, recent projects, prompts. */
function sessionHandlers({ runs, prompts }: Context) {
  return group({
    'run.cancel': ({ runId }) => Promise.resolve({ cancelled: runs.cancel(runId) }),
    'fs.list': ({ path: dir }) => listFolders(dir),
    'recent.list': () => recentProjects(),
    'recent.add': async ({ dir, name }) => {
      await addRecent(dir, name);
      return { ok: true as const };
    },
    'prompt.answer': ({ promptId, value }) => Promise.resolve({ ok: prompts.answer(promptId, value) }),
    'prompt.pending': () => Promise.resolve(prompts.pending()),
  });
}

/** Measuring: runs and campaigns (runs, with progress), link conditions, reading what was measured. */
function measureHandlers({ registry, runs, password, progressOf }: Context) {
  return group({
    'measure.run': ({ dir, runId, suite, duration, repeat, hosts, acceptHostKeys }) =>
      runs.run('measure', runId, async (run) => {
        const { measure } = await import('./measure/run.js');
        const r = await measure(dir, registry, {
          runId: run.id,
          ...(suite ? { suite } : {}),
          ...(duration ? { duration } : {}),
          ...(repeat ? { repeat } : {}),
          ...(hosts ? { hosts } : {}),
          ...(acceptHostKeys ? { acceptHostKeys } : {}),
          signal: run.signal,
          onProgress: progressOf(run.id, 'measure'),
          ...(password ? { password } : {}),
        });
        return { runId: r.runId, dir: r.dir, status: r.results.status, problems: r.results.problems, tests: r.results.tests.length };
      }),
    'campaign.run': ({ dir, runId, campaignId, kinds, mtus, conditions, suite, repeat, duration, resume }) =>
      runs.run('campaign', runId, async (run) => {
        const { campaign } = await import('./campaign/run.js');
        const { parseKindSpec, parseConditionsList } = await import('../shared/measure/campaign.js');
        const conds = parseConditionsList(conditions ?? []);
        if (typeof conds === 'string') throw new ApiError('invalid-arguments', `conditions: ${conds}`);
        const specs = (kinds ?? []).includes('all') ? registry.kinds.map((k) => ({ kind: k.id, options: {} })) : (kinds ?? []).map(parseKindSpec);
        const bad = specs.filter((s): s is string => typeof s === 'string');
        if (bad.length) throw new ApiError('invalid-arguments', bad.join('; '));
        if (!resume && specs.length === 0) throw new ApiError('invalid-arguments', 'name the kinds to compare (--kinds K1,K2 or all)');
        return campaign(dir, registry, {
          id: campaignId ?? run.id,
          kinds: specs as Exclude<(typeof specs)[number], string>[],
          mtus: mtus ?? [1500],
          conditions: conds,
          suite: suite ?? 'quick',
          ...(repeat ? { repeat } : {}),
          ...(duration ? { duration } : {}),
          resume: !!resume,
          signal: run.signal,
          onProgress: progressOf(run.id, 'campaign'),
          ...(password ? { password } : {}),
        });
      }),
    'conditions.apply': ({ dir, runId, hosts, clear, acceptHostKeys }) =>
      runs.run('conditions', runId, async (run) => {
        const { applyConditions } = await import('./conditions/apply.js');
        const progress = progressOf(run.id, 'conditions');
        const r = await applyConditions(dir, registry, {
          ...(hosts ? { hosts } : {}),
          clear: !!clear,
          ...(acceptHostKeys ? { acceptHostKeys } : {}),
          ...(password ? { password } : {}),
          signal: run.signal,
          onProgress: progress,
        });
        progress({ step: clear ? 'clear' : 'apply', status: r.ok ? 'done' : 'failed', fraction: 1 });
        return r;
      }),
    'conditions.read': async ({ dir }) => (await import('./conditions/apply.js')).readConditions(dir, registry, password ? { password } : {}),
    'campaigns.list': async ({ dir }) => {
      const { listCampaigns } = await import('./campaign/store.js');
      return listCampaigns(dir);
    },
    'campaigns.get': async ({ dir, campaignId }) => {
      const { readCampaign, campaignAnalysis } = await import('./campaign/run.js');
      const campaign = await readCampaign(dir, campaignId);
      return { campaign, analysis: await campaignAnalysis(dir, campaign) };
    },
    'runs.list': ({ dir }) => listRuns(dir),
    'runs.unreadable': async ({ dir }) => (await scanRuns(dir)).unreadable,
    'runs.get': ({ dir, runId, lean }) => readRun(dir, runId, { lean: lean === true }),
  });
}

/** What leaves Overlab: the report, the Ansible export. */
function outputHandlers({ registry, runs, progressOf }: Context) {
  return group({
    'report.pdf': (args) =>
      runs.run('report', undefined, async (run) => {
        const { report } = await import('./report/report.js');
        const progress = progressOf(run.id, 'report');
        const r = await report(args, { registry, engine: () => createEngine({ registry }), onStep: (step, message) => progress({ step, status: 'running', ...(message ? { message } : {}) }) });
        progress({ step: 'report', status: 'done', fraction: 1, message: r.file });
        return r;
      }),
    'report.appendix': async ({ dir }) => (await import('./report/report.js')).reportAppendix(dir, registry),
    'advise.get': async ({ dir, needs, stated, probe }) => {
      const { adviseProject } = await import('./advise.js');
      const first = await adviseProject(dir, registry, needs, undefined, stated);
      if (!first.measure || !probe) return first;
      // Something to measure: suggest only the kinds this machine's kernel can carry (the probe runs only then).
      const here = new Set((await kindInfos(registry, true)).filter((k) => k.here !== 'no').map((k) => k.id));
      return adviseProject(dir, registry, needs, here, stated);
    },
    'export.ansible': async ({ dir, out, force, vaultPasswordFile }) =>
      (await import('./export/ansible.js')).exportAnsible(dir, out, registry, { force: !!force, ...(vaultPasswordFile !== undefined ? { vaultPasswordFile } : {}) }),
  });
}
