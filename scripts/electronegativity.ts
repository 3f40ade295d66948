/**
 * Electronegativity (Doyensec's checks of an Electron app's security settings) on what the
 * desktop app runs: the built main process, preload and renderer (out/main, out/preload,
 * out/renderer), scanned together — its global checks (navigation limits, permission handler,
 * CSP) look for a setting anywhere in the app, so a part scanned alone reports what another part
 * does. out/cli is left out: it is the engine under plain Node, not Electron code.
 *
 *   node scripts/run-ts.mjs scripts/electronegativity.ts [--allow FILE] [--input DIR]
 *
 * Fails (exit 1) on a HIGH or MEDIUM finding not justified in the allow-list
 * (scripts/electronegativity-allow.txt; see scripts/electronegativity-verdict.ts), on an
 * allow-list line that matches nothing, and on a file the tool could not parse (its checks did
 * not run). Exit 2: the tool or the build is missing.
 *
 * How the tool is run, and why not through its command line:
 *  - version 1.10.3's CLI does not start here: it requires `commander` without declaring it and
 *    gets the project's v14, whose API it predates ("…default.version is not a function");
 *  - its CSV writer writes the header and the rows with two unawaited fs.writeFile calls (the
 *    rows can land before the header is truncated in), and its SARIF has no severity or
 *    confidence. So the runner the CLI calls is called here, and its records are read: the same
 *    fields as a CSV row (check, severity, confidence, file, line:column, description).
 *  - No network: its translations download is answered "offline" (it then uses the ones it
 *    ships), and AvailableSecurityFixesGlobalCheck is left out — it downloads Electron's release
 *    list into a fixed name in the shared temporary folder; keeping Electron current is the
 *    dependency updates' job, not this check's.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { countsPerCheck, describeFinding, parseAllowList, verdict, type Finding } from './electronegativity-verdict.js';

const ROOT = process.cwd();
/** A path as the person reads it: relative inside the checkout, absolute elsewhere. */
const shown = (p: string): string => (path.relative(ROOT, p).startsWith('..') ? p : path.relative(ROOT, p) || '.');
const PARTS = ['main', 'preload', 'renderer'] as const;
const EXCLUDED = ['AvailableSecurityFixesGlobalCheck'];

interface ToolIssue {
  id: string;
  file: string;
  location?: { line?: number; column?: number };
  description?: string;
  severity: { name: string };
  confidence: { name: string };
}
type Runner = (options: Record<string, unknown>) => Promise<{ globalChecks: number; atomicChecks: number; issues: ToolIssue[]; errors: { file: string; message: string; tolerable: boolean }[] }>;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function die(message: string, code: number): never {
  process.stderr.write(`electronegativity: ${message}\n`);
  process.exit(code);
}

/** The tool's runner, with its one network call answered "offline". */
function loadRunner(): { run: Runner; version: string } {
  const req = createRequire(path.join(ROOT, 'package.json'));
  let runnerPath: string;
  try {
    runnerPath = req.resolve('@doyensec/electronegativity/dist/runner.js');
  } catch {
    return die('@doyensec/electronegativity is not installed: run npm ci (it is a devDependency)', 2);
  }
  const fromRunner = createRequire(runnerPath);
  const gotPath = fromRunner.resolve('got');
  const offline = new Module(gotPath);
  offline.filename = gotPath;
  offline.loaded = true;
  offline.exports = () => Promise.reject(new Error('offline: CI runs the tool without network'));
  (createRequire(import.meta.url).cache as Record<string, unknown>)[gotPath] = offline;
  const version = (JSON.parse(readFileSync(path.join(path.dirname(runnerPath), '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { run: fromRunner(runnerPath) as Runner, version };
}

/** The Electron version the app is built for (the installed devDependency), for version-dependent defaults. */
function electronVersion(): string {
  try {
    const req = createRequire(path.join(ROOT, 'package.json'));
    return (JSON.parse(readFileSync(req.resolve('electron/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return die('the electron package is not installed: run npm ci', 2);
  }
}

/** out/main, out/preload and out/renderer in one private folder, the way the app holds them. */
function stage(): string {
  for (const p of PARTS) if (!existsSync(path.join(ROOT, 'out', p))) die(`out/${p} is missing: run npm run build first`, 2);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'overlab-electronegativity-'));
  for (const p of PARTS) cpSync(path.join(ROOT, 'out', p), path.join(dir, p), { recursive: true });
  return dir;
}

async function main(): Promise<void> {
  const allowFile = path.resolve(arg('--allow') ?? 'scripts/electronegativity-allow.txt');
  const given = arg('--input');
  const allowText = existsSync(allowFile) ? readFileSync(allowFile, 'utf8') : die(`no allow-list at ${allowFile} (an empty file, or comments only, allows nothing)`, 2);
  const { entries, problems } = parseAllowList(allowText, shown(allowFile));
  if (problems.length) die(problems.join('\n'), 2);

  const { run, version } = loadRunner();
  const input = given ? path.resolve(given) : stage();
  const started = Date.now();
  const log = console.log;
  // The tool says so each time its (now offline) translations download fails; it is not news here.
  console.log = (...a: unknown[]) => {
    if (!(typeof a[0] === 'string' && a[0].startsWith('Could not retrieve updated translations'))) log(...a);
  };
  process.env.LANG = 'en-US';
  let result: Awaited<ReturnType<Runner>>;
  try {
    result = await run({ input, isRelative: true, customScan: [], excludeFromScan: EXCLUDED.map((c) => c.toLowerCase()), electronVersionOverride: electronVersion() });
  } finally {
    console.log = log;
    if (!given) rmSync(input, { recursive: true, force: true });
  }
  const findings: Finding[] = result.issues.map((i) => ({
    id: i.id,
    severity: i.severity.name,
    confidence: i.confidence.name,
    file: i.file,
    line: i.location?.line ?? 0,
    column: i.location?.column ?? 0,
    description: i.description ?? '',
  }));
  const v = verdict(findings, entries);
  const unparsed = result.errors.filter((e) => !e.tolerable);

  const out: string[] = [
    `Electronegativity ${version}: ${given ? shown(input) : PARTS.map((p) => `out/${p}`).join(', ')} — ${result.globalChecks + result.atomicChecks} checks (${EXCLUDED.join(', ')} left out), ${((Date.now() - started) / 1000).toFixed(1)} s`,
    `findings per check: ${findings.length ? '' : 'none'}`,
    ...countsPerCheck(findings).map((l) => `  ${l}`),
  ];
  if (v.review.length) out.push('for review (LOW/INFORMATIONAL, not failing):', ...v.review.map((f) => `  ${describeFinding(f)}`));
  if (v.allowed.length) out.push('allowed by the allow-list:', ...v.allowed.map(({ finding, entry }) => `  ${describeFinding(finding)}\n    (line ${entry.at}: ${entry.reason})`));
  if (v.failing.length) out.push(`FAILING (HIGH/MEDIUM, not in ${shown(allowFile)}: fix it, or add "CHECK_ID FILE reason" after review):`, ...v.failing.map((f) => `  ${describeFinding(f)}`));
  if (v.stale.length) out.push(`FAILING: allow-list lines that match no finding (remove them):`, ...v.stale.map((e) => `  line ${e.at}: ${e.id} ${e.file}`));
  if (unparsed.length) out.push('FAILING: files the tool could not parse (their checks did not run):', ...unparsed.map((e) => `  ${e.file}: ${e.message}`));
  const ok = v.ok && unparsed.length === 0;
  out.push(ok ? 'electronegativity: passed' : 'electronegativity: FAILED');
  process.stdout.write(`${out.join('\n')}\n`);
  process.exit(ok ? 0 : 1);
}

await main();
