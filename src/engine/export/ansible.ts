/**
 * `export.ansible`: renders the project (twice: with its secrets, and with markers in their
 * place), finds how each host is reached (lab hosts through the running lab), hands it all to
 * the pure generator (src/shared/export/ansible.ts) with the on-host layout `overlab deploy`
 * uses, and writes the result into OUTDIR at once: a temporary folder beside it, renamed into
 * place. Written through safe-fs, as root may run it:
 *  - no symbolic link is followed on the way to OUTDIR, and OUTDIR itself may not be one;
 *  - every export holds Overlab's marker file (safe-fs MARKER); a non-empty OUTDIR is replaced
 *    only with `force` and only when it holds that marker — a folder Overlab made — never one
 *    of the person's own;
 *  - with a vault password file (read through safe-fs: a plain file of a trusted owner), the
 *    vault is encrypted with ansible-vault in the temporary folder, before anything is in
 *    place; the password goes to ansible-vault on its standard input, never on a command line.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { error, hasErrors, type Diagnostic } from '../../shared/diagnostics.js';
import { ansibleExport, secretMarkers, VAULT_FILE, type AnsibleExportResult, type AnsibleHost, type ExportFile, type RemoteConvention } from '../../shared/export/ansible.js';
import { render } from '../../shared/render.js';
import type { Registry } from '../../shared/tunnels/types.js';
import { ApiError } from '../api-error.js';
import { bundleHash } from '../deploy/deploy.js';
import { readKnownHostsText } from '../deploy/hostkeys.js';
import { applyScript, HASH_FILE, INCOMING, PREVIOUS, REMOVED, ROLLBACK, TEARDOWN } from '../deploy/remote.js';
import { knownHostsPath, labKeyPath, loadLab } from '../lab/lab.js';
import { checkDir, createFile, ensureDir, MARKER, readFile, removeTree, statFile, TooLargeError, UnsafePathError, writeMarker } from '../safe-fs.js';
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
  /** Replace a non-empty OUTDIR that an earlier export made. */
  readonly force?: boolean;
  /** Encrypt the vault with ansible-vault, with the password in this file. */
  readonly vaultPasswordFile?: string;
}

/** What the marker file of an export says made the folder. */
const MADE_BY = 'overlab export ansible';
/** A vault password is a line of text; a file much larger than this is not one. */
const MAX_PASSWORD_FILE = 64 * 1024;

const isInside = (child: string, parent: string): boolean => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** safe-fs's refusals, as the option the person gave. */
const asOption = (option: string, given: string, e: unknown): never => {
  if (e instanceof UnsafePathError) throw new ApiError('invalid-arguments', `${option} ${given}: ${e.message}`);
  if (e instanceof TooLargeError) throw new ApiError('invalid-arguments', `${option} ${given}: ${e.message}`);
  throw e;
};

/**
 * Why OUTDIR cannot be written, or undefined: absent, empty, or — with force — an earlier
 * export (it holds the marker). Checked before anything is rendered; `writeTree` checks again.
 */
async function checkOut(projectDir: string, out: string, force: boolean): Promise<string | undefined> {
  const o = path.resolve(out);
  // Replacing OUTDIR would delete the project (or the folder that holds it).
  if (isInside(path.resolve(projectDir), o)) return `--out ${out} is the project folder or holds it; pick another folder, e.g. ${path.join(projectDir, 'ansible')}`;
  const st = await statFile(o).catch((e: unknown) => asOption('--out', out, e));
  if (!st) return undefined;
  if (st.isSymbolicLink()) return `--out ${out} is a symbolic link: Overlab writes the export into a real folder and never through a link; give the folder it points to, or a new one`;
  if (!st.isDirectory()) return `--out ${out} exists and is not a folder; pick another path`;
  // The folder itself: a real folder of a trusted owner that nobody else can write.
  await checkDir(o).catch((e: unknown) => asOption('--out', out, e));
  if ((await fs.readdir(o)).length === 0) return undefined;
  if (!force) return `--out ${out} is not empty; pick an empty or new folder, or pass --force to replace an earlier export`;
  const marker = await readFile(path.join(o, MARKER), { maxBytes: 4096 }).catch((e: unknown) => asOption('--out', out, e));
  if (marker === undefined) return `--out ${out} was not written by ${MADE_BY} (it has no ${MARKER} file), and --force replaces only a folder Overlab made; pick another folder, or move ${out} away yourself`;
  return undefined;
}

/**
 * The vault password file, read as ansible-playbook will read it later: a plain file (an
 * executable one Ansible would *run* as a script, so the password it prints could differ from
 * the text here), of a trusted owner, not a link, not empty.
 */
async function readPasswordFile(file: string): Promise<Buffer> {
  const abs = path.resolve(file);
  let data: Buffer | undefined;
  try {
    data = await readFile(abs, { maxBytes: MAX_PASSWORD_FILE });
  } catch (e) {
    return asOption('--vault-password-file', file, e);
  }
  if (data === undefined) throw new ApiError('invalid-arguments', `--vault-password-file ${file} does not exist; write the vault password in a file (mode 0600) and name it`);
  const st = (await statFile(abs))!;
  if ((st.mode & 0o111) !== 0) throw new ApiError('invalid-arguments', `--vault-password-file ${file} is executable: Ansible would run it as a script for the password, Overlab reads it as text; remove the execute bits (chmod a-x) or give a plain password file`);
  if (data.toString('utf8').trim() === '') throw new ApiError('invalid-arguments', `--vault-password-file ${file} is empty; write the vault password in it`);
  return data;
}

/**
 * Encrypts `vault` in place with ansible-vault. The password goes in on its standard input
 * (`--vault-password-file /dev/stdin`): never on a command line (other users see those in
 * ps), never in the environment, never in a file Overlab writes. ansible-vault overwrites the
 * plaintext before replacing it.
 *
 * Through `cat |`: Node's child stdin is a socket, whose permission bits read as executable, and
 * Ansible *runs* an executable password file ("Permission denied"); a shell pipe reads as 0600.
 * The vault's path is the shell's $1, never part of its script.
 */
const ENCRYPT_SCRIPT = 'cat | exec ansible-vault encrypt --vault-password-file /dev/stdin "$1"';

function encryptVault(vault: string, password: Buffer, passwordFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', ENCRYPT_SCRIPT, 'sh', vault], {
      cwd: path.dirname(vault),
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve();
      // The shell's "not found".
      if (code === 127) return reject(new ApiError('failed', 'ansible-vault is not installed, so the vault cannot be encrypted: install Ansible (apt-get install ansible-core), or export without --vault-password-file and encrypt the vault yourself'));
      // ansible-vault names its password file; ours is the one the person gave. Its messages never hold the password.
      const why = stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ').replaceAll('/dev/stdin', passwordFile);
      reject(new ApiError('failed', `ansible-vault could not encrypt the vault with ${passwordFile}: ${why || `exit code ${code}`}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(password);
  });
}

/**
 * Writes every file, the marker and (with a password) the encrypted vault into a temporary
 * folder beside OUTDIR, then renames it into place; an earlier export there is moved aside and
 * removed (safe-fs removeTree: only a folder with the marker, or an empty one).
 */
async function writeTree(out: string, files: readonly ExportFile[], password: { data: Buffer; file: string } | undefined, recheck: () => Promise<string | undefined>): Promise<void> {
  const o = path.resolve(out);
  const parent = path.dirname(o);
  // Every folder from / down, none a link, none another user's; the missing ones are made.
  await ensureDir(parent, 0o755).catch((e: unknown) => asOption('--out', out, e));
  // mkdtemp: a new folder of a random name, 0700, never one that was there.
  const temp = await fs.mkdtemp(path.join(parent, `.${path.basename(o)}.overlab-`));
  let old: string | undefined;
  try {
    for (const f of files) {
      const target = path.join(temp, f.path);
      if (!isInside(target, temp) || target === temp) throw new Error(`bug: export file path ${JSON.stringify(f.path)} leaves the folder`);
      if (!(await createFile(target, f.content, { mode: f.mode, dirMode: 0o755 }))) throw new Error(`bug: two files of the export are ${f.path}`);
    }
    await writeMarker(temp, MADE_BY);
    if (password) await encryptVault(path.join(temp, VAULT_FILE), password.data, password.file);
    await fs.chmod(temp, 0o755);
    // Checked before the render; checked again right before the swap, as the time between was long.
    const refused = await recheck();
    if (refused) throw new ApiError('invalid-arguments', `${refused} (it changed while the export was made; nothing was replaced)`);
    const st = await fs.lstat(o).catch(() => undefined);
    if (st) {
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
  // The earlier export (or an empty folder), moved aside: removeTree refuses anything else.
  if (old) await removeTree(old, MADE_BY);
}

export async function exportAnsible(projectDir: string, out: string, registry: Registry, opts: ExportOptions = {}): Promise<AnsibleExportResult> {
  const refused = await checkOut(projectDir, out, !!opts.force);
  if (refused) throw new ApiError('invalid-arguments', refused);
  const password = opts.vaultPasswordFile === undefined ? undefined : { data: await readPasswordFile(opts.vaultPasswordFile), file: opts.vaultPasswordFile };
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
  const x = ansibleExport({ plan, hosts, markers, remote: REMOTE, knownHosts, vaultEncrypted: !!password });
  if (!x.value) throw new ApiError(x.diagnostics.some((d) => d.message.startsWith('bug:')) ? 'failed' : 'invalid-arguments', 'the project cannot be exported to Ansible', x.diagnostics);
  await writeTree(out, x.value.files, password, () => checkOut(projectDir, out, !!opts.force));
  return {
    out: path.resolve(out),
    hosts: hosts.map((h) => h.name),
    files: x.value.files.length,
    vault: path.join(path.resolve(out), x.value.vault),
    encrypted: !!password,
    secrets: x.value.secrets,
    passwordHosts: hosts.filter((h) => h.target.password).map((h) => h.name),
    diagnostics: r.diagnostics.filter((d) => d.severity !== 'error'),
  };
}
