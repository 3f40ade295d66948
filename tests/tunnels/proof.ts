/**
 * `npm run proof`: the whole proof matrix (issue 23) in one command — every kind × {site-to-site,
 * hub-spoke 3, mesh 4} × {IPv4 1500, IPv4 9000, IPv6 1500} (tests/tunnels/proof-matrix.ts),
 * cells a kind cannot build by design left out as `unsupported` with its reason. The cells run
 * through tests/tunnels/run-all.sh (`--cases-file`): on this machine's kernel where it carries
 * the kind, in ONE full-kernel VM boot otherwise. Prints the table kind × case (ok / FAIL /
 * unsupported / not run), keeps the raw log (docs/proof-matrix-log.txt) and writes the table as
 * markdown with date, commit and durations (docs/proof-matrix.md). May take hours. Needs root
 * and a built CLI (`npm run build`).
 *
 * Usage: npm run proof -- [--only k1,k2] [--cases id1,id2] [--no-vm] [--jobs N] [--vm-timeout S]
 *                         [--from LOG] [--out FILE] [--log FILE] [--update-readme]
 *   --cases: case ids (s2s-1500, hub-1500, mesh-1500, s2s-9000, hub-9000, mesh-9000, s2s-v6, hub-v6, mesh-v6)
 *   --from LOG: run nothing; print (and write) the table from a saved prove.ts / run-all.sh log
 *   --update-readme: put the markdown between the proof-matrix markers of README.md
 * Exits 1 when a cell failed, 2 on bad arguments.
 */
import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kindInfos } from '../../src/engine/engine.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { cellsFrom, markdownTable, parseProveLog, planMatrix, replaceBetweenMarkers, tally, textTable, UsageError, type Provenance } from './proof-matrix.js';

interface Args {
  only?: string[];
  cases?: string[];
  noVm: boolean;
  jobs: number;
  vmTimeout: number;
  from?: string;
  out: string;
  log: string;
  updateReadme: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { noVm: false, jobs: 2, vmTimeout: 6 * 3600, out: 'docs/proof-matrix.md', log: 'docs/proof-matrix-log.txt', updateReadme: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    if (f === '--only') a.only = list(value(++i, f));
    else if (f === '--cases') a.cases = list(value(++i, f));
    else if (f === '--no-vm') a.noVm = true;
    else if (f === '--jobs' || f === '--vm-timeout') {
      const n = Number(value(++i, f));
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`${f} must be a whole number ≥ 1, not ${argv[i]}`);
      if (f === '--jobs') a.jobs = n;
      else a.vmTimeout = n;
    } else if (f === '--from') a.from = value(++i, f);
    else if (f === '--out') a.out = value(++i, f);
    else if (f === '--log') a.log = value(++i, f);
    else if (f === '--update-readme') a.updateReadme = true;
    else throw new UsageError(`unknown argument ${f}; see the usage at the top of tests/tunnels/proof.ts`);
  }
  return a;
}

const git = (...args: string[]): string => {
  try {
    return execFileSync('git', args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

/** Runs run-all.sh on the cases, echoing its output; returns the output. */
async function runCases(specs: readonly string[], a: Args): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-proof-'));
  try {
    const file = path.join(dir, 'cases');
    await fs.writeFile(file, `${specs.join('\n')}\n`);
    const argv = ['tests/tunnels/run-all.sh', '--cases-file', file, '--jobs', String(a.jobs), '--vm-timeout', String(a.vmTimeout), ...(a.noVm ? ['--no-vm'] : [])];
    let text = '';
    await new Promise<void>((resolve, reject) => {
      const child = spawn('bash', argv, { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', (d: Buffer) => {
        process.stdout.write(d);
        text += d.toString();
      });
      child.on('error', reject);
      // run-all.sh exits non-zero when a case failed: the table says which.
      child.on('close', () => resolve());
    });
    return text;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  const planned = planMatrix(defaultRegistry, a.only, a.cases);
  const whole = !a.only?.length;
  let text: string;
  let prov: Provenance;
  if (a.from) {
    text = await fs.readFile(a.from, 'utf8');
    const meta = parseProveLog(text).meta;
    const mtime = (await fs.stat(a.from)).mtime.toISOString();
    prov = { date: meta.date ?? mtime, commit: meta.commit ?? 'unknown', command: meta.command ?? `a saved log (${path.basename(a.from)})`, ...(meta.seconds ? { seconds: Number(meta.seconds) } : {}) };
  } else {
    const started = Date.now();
    const date = new Date().toISOString();
    const commit = `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : ''}`;
    const command = `npm run proof${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
    process.stdout.write(`proof matrix: ${planned.toRun.length} cases to run, ${planned.unsupported.size} unsupported by design\n`);
    const run = await runCases(planned.toRun, a);
    const seconds = Math.round((Date.now() - started) / 1000);
    prov = { date, commit, command, seconds };
    // The raw log is kept, with where it came from, so that --from can print this table again.
    text = `# date: ${date}\n# commit: ${commit}\n# command: ${command}\n# seconds: ${seconds}\n${run}`;
    await fs.mkdir(path.dirname(a.log), { recursive: true });
    await fs.writeFile(a.log, text);
  }
  const log = parseProveLog(text);
  // Which kinds this kernel lacks (the probe needs root; without it, nothing is said).
  const notHere = new Set((await kindInfos(defaultRegistry, true)).filter((k) => k.here === 'no').map((k) => k.id));
  const cells = cellsFrom(planned, log, notHere);
  process.stdout.write(`\n${textTable(cells, planned.cases)}`);
  const md = markdownTable(cells, planned.cases, log, prov, whole);
  await fs.mkdir(path.dirname(a.out), { recursive: true });
  await fs.writeFile(a.out, `# Proof matrix\n\nEvery kind × shape × underlay family on the embedded lab (issue 23): what \`npm run proof\` last proved. Regenerate with \`npm run proof\`; print it again from the kept log with \`npm run proof -- --from docs/proof-matrix-log.txt\`.\n\n${md}`);
  process.stdout.write(`wrote ${a.out}${a.from ? '' : ` and ${a.log}`}\n`);
  if (a.updateReadme) {
    const readme = await fs.readFile('README.md', 'utf8');
    await fs.writeFile('README.md', replaceBetweenMarkers(readme, `\nFrom [docs/proof-matrix.md](docs/proof-matrix.md):\n\n${md}\n`));
    process.stdout.write('updated README.md\n');
  }
  return tally(cells).FAIL > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`proof: ${e.message}\n`);
  process.exitCode = 2;
}
