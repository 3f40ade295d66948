/**
 * `export.ansible`: renders the project (twice: with its secrets, and with markers in their
 * place), finds how each host is reached (lab hosts through the running lab), hands it all to
 * the pure generator (src/shared/export/ansible.ts) with the on-host layout `overlab deploy`
 * uses, and writes the result into OUTDIR at once: a temporary folder beside it, renamed into
 * place. A non-empty OUTDIR is replaced only with `force`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { error, hasErrors, type Diagnostic } from '../../shared/diagnostics.js';
import { ansibleExport, secretMarkers, type AnsibleExportResult, type AnsibleHost, type ExportFile, type RemoteConvention } from '../../shared/export/ansible.js';
import { render } from '../../shared/render.js';
import type { Registry } from '../../shared/tunnels/types.js';
import { ApiError } from '../api-error.js';
import { bundleHash } from '../deploy/deploy.js';
import { readKnownHostsText } from '../deploy/hostkeys.js';
import { applyScript, HASH_FILE, INCOMING, PREVIOUS, REMOVED, ROLLBACK, TEARDOWN } from '../deploy/remote.js';
import { knownHostsPath, labKeyPath, loadLab } from '../lab/lab.js';
import { renderProject } from '../services/bundles.js';

/** The layout and shell of src/engine/deploy/remote.ts: both tools see the same state on a host. */
export const REMOTE: RemoteConvention = {
  incoming: INCOMING,
  previous: PREVIOUS,
  hashFile: HASH_FILE,
  // deploy's upload step writes the hash here, and the swap moves it to HASH_FILE.
  incomingHashFile: `${INCOMING}/bundle.sha256`,
  applyFresh: applyScript(false),
  applyReplacing: applyScript(true),
  rollback: ROLLBACK,
  teardown: TEARDOWN,
  removed: REMOVED,
};

export interface ExportOptions {
  /** Replace a non-empty OUTDIR. */
  readonly force?: boolean;
}

const isInside = (child: string, parent: string): boolean => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** Why OUTDIR cannot be written, or undefined (absent, empty, or non-empty with force). */
async function checkOut(projectDir: string, out: string, force: boolean): Promise<string | undefined> {
  const o = path.resolve(out);
  // Replacing OUTDIR would delete the project (or the folder that holds it).
  if (isInside(path.resolve(projectDir), o)) return `--out ${out} is the project folder or holds it; pick another folder, e.g. ${path.join(projectDir, 'ansible')}`;
  const st = await fs.lstat(o).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isDirectory()) return `--out ${out} exists and is not a folder; pick another path`;
  if ((await fs.readdir(o)).length > 0 && !force) return `--out ${out} is not empty; pick an empty or new folder, or pass --force to replace it`;
  return undefined;
}

/** Writes every file into a temporary folder beside OUTDIR, then renames it into place. */
async function writeTree(out: string, files: readonly ExportFile[]): Promise<void> {
  const o = path.resolve(out);
  const parent = path.dirname(o);
  await fs.mkdir(parent, { recursive: true });
  const temp = await fs.mkdtemp(path.join(parent, `.${path.basename(o)}.overlab-`));
  let old: string | undefined;
  try {
    for (const f of files) {
      const target = path.join(temp, f.path);
      if (!isInside(target, temp) || target === temp) throw new Error(`bug: export file path ${JSON.stringify(f.path)} leaves the folder`);
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
      await fs.writeFile(target, f.content, { mode: f.mode, flag: 'wx' });
      await fs.chmod(target, f.mode);
    }
    await fs.chmod(temp, 0o755);
    const st = await fs.lstat(o).catch(() => undefined);
    if (st) {
      // Empty, or replaced with force (checked before): moved aside, so that a failed rename puts it back.
      old = `${temp}.old`;
      await fs.rename(o, old);
    }
    try {
      await fs.rename(temp, o);
    } catch (e) {
      if (old) await fs.rename(old, o);
      old = undefined;
      throw e;
    }
  } catch (e) {
    await fs.rm(temp, { recursive: true, force: true });
    throw e;
  }
  if (old) await fs.rm(old, { recursive: true, force: true });
}

export async function exportAnsible(projectDir: string, out: string, registry: Registry, opts: ExportOptions = {}): Promise<AnsibleExportResult> {
  const refused = await checkOut(projectDir, out, !!opts.force);
  if (refused) throw new ApiError('invalid-arguments', refused);
  const r = await renderProject(projectDir, registry);
  if (!r.topology || !r.plan || !r.bundles || !r.secrets || hasErrors(r.diagnostics)) throw new ApiError('invalid-arguments', `${projectDir} does not render; fix its problems first`, r.diagnostics);
  const { topology, plan, bundles, secrets } = r;
  const markers = secretMarkers(secrets.lookup);
  const marked = render(plan, registry, markers.lookup);

  const problems: Diagnostic[] = [];
  const lab = topology.hosts.some((h) => h.target.type === 'lab') ? await loadLab(projectDir, topology, plan) : undefined;
  // The lab's key stays in the project; the inventory names it by absolute path.
  const keyPath = path.resolve(labKeyPath(projectDir));
  const hosts: AnsibleHost[] = [];
  topology.hosts.forEach((h, index) => {
    const bundle = bundles.find((b) => b.host === h.name)!;
    const markedBundle = marked.find((b) => b.host === h.name)!;
    const t = h.target;
    let target: AnsibleHost['target'];
    if (t.type === 'lab') {
      const lh = lab?.hosts.find((x) => x.name === h.name);
      if (!lh) {
        problems.push(error('lab-not-up', ['hosts', index, 'target'], `${h.name} is a lab host and ${lab ? 'is not in the running lab' : 'the lab is not up'}: run \`overlab lab up ${projectDir}\` first (the export reaches lab hosts through the running lab's management addresses)`));
        return;
      }
      target = { address: lh.mgmtAddress, port: 22, user: 'root', identityFile: keyPath, become: false, password: false, lab: true };
    } else {
      target = {
        address: t.address,
        port: t.port,
        user: t.user,
        // Relative to where overlab runs, as deploy reads it; the inventory is used from elsewhere.
        ...(t.identityFile ? { identityFile: t.identityFile.startsWith('~/') ? t.identityFile : path.resolve(t.identityFile) } : {}),
        become: t.sudo && t.user !== 'root',
        password: t.password,
        lab: false,
      };
    }
    hosts.push({ name: h.name, index, target, bundle, marked: markedBundle, hash: bundleHash(bundle) });
  });
  if (problems.length) throw new ApiError('invalid-arguments', `${projectDir} cannot be exported yet`, problems);

  const knownHosts = await readKnownHostsText(knownHostsPath(projectDir));
  const x = ansibleExport({ plan, hosts, markers, remote: REMOTE, knownHosts });
  if (!x.value) throw new ApiError(x.diagnostics.some((d) => d.message.startsWith('bug:')) ? 'failed' : 'invalid-arguments', 'the project cannot be exported to Ansible', x.diagnostics);
  await writeTree(out, x.value.files);
  return {
    out: path.resolve(out),
    hosts: hosts.map((h) => h.name),
    files: x.value.files.length,
    vault: path.join(path.resolve(out), x.value.vault),
    secrets: x.value.secrets,
    passwordHosts: hosts.filter((h) => h.target.password).map((h) => h.name),
    diagnostics: r.diagnostics.filter((d) => d.severity !== 'error'),
  };
}
