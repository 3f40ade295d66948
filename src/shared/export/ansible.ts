/**
 * `overlab export ansible`: a project as an Ansible inventory and two playbooks — the paper's
 * own workflow (Ansible copies each host's files and runs its scripts), generated. Pure: the
 * engine hands over the rendered bundles, each host's SSH target and the on-host layout that
 * `overlab deploy` uses (src/engine/deploy/remote.ts), and gets back the files to write.
 *
 * What the export holds, and why it is written the way it is:
 *  - `deploy.yml` installs a host's bundle into the same folders as `overlab deploy`
 *    (/var/lib/overlab/{incoming,bundle,previous}), with the same SHA-256 in bundle.sha256, and
 *    only where the deployed hash differs: a second run changes nothing, and a host deployed by
 *    either tool is "unchanged" for the other.
 *  - Secret values never sit in a playbook, the inventory, host_vars or a template: they are in
 *    `group_vars/all/vault.yml` (tagged `!unsafe`, so Ansible never evaluates them), which the
 *    engine encrypts with ansible-vault when given a password file, else left for `ansible-vault encrypt`. A file with secrets becomes a template whose secret parts are
 *    `{{ vault_overlab_secrets[...] }}`; where a kind printed a secret in a form no filter
 *    reproduces exactly, the whole file goes to the vault instead. Every output is then searched
 *    for every secret before anything is returned.
 *  - User values reach Ansible as data only (module arguments, loop items), after the same
 *    checks as the schema's; the shell Ansible runs is Overlab's own constant text. Inventory
 *    values are evaluated by Ansible's templating, so nothing there may hold `{`.
 */
import { Document, isScalar, visit } from 'yaml';
import { error, type Diagnostic, type PathSegment, type Result } from '../diagnostics.js';
import { HOST_NAME_RE, HOST_NAME_RULE, SSH_HOST_RE, SSH_HOST_RULE, USER_NAME_RE, USER_NAME_RULE } from '../names.js';
import type { Plan } from '../plan.js';
import type { HostBundle } from '../render.js';
import { PUBLIC_PARTS } from '../secrets.js';
import type { SecretLookup } from '../tunnels/types.js';

// ---- the input ---------------------------------------------------------------------------

/** How Ansible reaches a host (what `overlab deploy` would use). */
export interface AnsibleTarget {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Private key file; absent ⇒ the SSH agent or ssh's defaults. */
  readonly identityFile?: string;
  /** Scripts run through sudo (the target's `sudo` with a login other than root). */
  readonly become: boolean;
  /** The login takes a password (asked by ansible-playbook -k, never stored). */
  readonly password: boolean;
  /** A lab host, reached through the running lab's management network and key. */
  readonly lab: boolean;
}

export interface AnsibleHost {
  readonly name: string;
  /** The host's index in the document's `hosts`, for diagnostics (`hosts[2].target…`). */
  readonly index: number;
  readonly target: AnsibleTarget;
  /** Rendered with the real secrets: what lands on the host, byte for byte. */
  readonly bundle: HostBundle;
  /** The same bundle rendered with `SecretMarkers.lookup`: markers where secret values were. */
  readonly marked: HostBundle;
  /** The bundle's SHA-256 as `overlab deploy` computes it (bundleHash). */
  readonly hash: string;
}

/** Where a bundle lives on a host and the shell `overlab deploy` runs there, as constants. */
export interface RemoteConvention {
  /** The upload area, swapped in once the old bundle is down. */
  readonly incoming: string;
  /** The bundle a re-deploy replaced, kept until the run stands. */
  readonly previous: string;
  /** The hash of the bundle that is up, and where an upload puts its own. */
  readonly hashFile: string;
  readonly incomingHashFile: string;
  /** Swaps the upload in and runs its up.sh: on a host with no bundle / with another bundle up. */
  readonly applyFresh: string;
  readonly applyReplacing: string;
  /** This run's bundle down, the one it replaced back up (or nothing of Overlab's left). */
  readonly rollback: string;
  /** down.sh of the deployed bundle, then its folder goes; prints `removed` when one was there. */
  readonly teardown: string;
  readonly removed: string;
}

export interface AnsibleInput {
  readonly plan: Plan;
  readonly hosts: readonly AnsibleHost[];
  readonly markers: SecretMarkers;
  readonly remote: RemoteConvention;
  /** The project's pinned host keys (OpenSSH known_hosts), copied beside the inventory. */
  readonly knownHosts: string;
  /** The engine encrypts the vault with ansible-vault once written (a password file was given): the README says how to run it then. */
  readonly vaultEncrypted?: boolean;
}

/** One file of the export, relative to OUTDIR. */
export interface ExportFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

export interface AnsibleExport {
  readonly files: readonly ExportFile[];
  /** The vars file with every secret value (relative path, mode 0600). */
  readonly vault: string;
  /** How many values the vault holds. */
  readonly secrets: number;
}

/** What `export.ansible` answers. */
export interface AnsibleExportResult {
  readonly out: string;
  readonly hosts: readonly string[];
  readonly files: number;
  /** Absolute path of the vault file. */
  readonly vault: string;
  /** Whether the vault was encrypted with ansible-vault (a password file was given); else it is plaintext, mode 0600. */
  readonly encrypted: boolean;
  readonly secrets: number;
  /** Hosts whose login takes a password: run ansible-playbook with -k (and -K with sudo). */
  readonly passwordHosts: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

export const VAULT_FILE = 'group_vars/all/vault.yml';
export const VAULT_VAR = 'vault_overlab_secrets';
/** The inventory group every host is in; the playbooks target it. */
export const GROUP = 'overlab';

// ---- secret markers ----------------------------------------------------------------------

/**
 * A secret lookup for a second render of the same plan: public parts (certificates, public
 * keys) come back as they are, every other part as a marker that names it. Comparing that
 * render with the real one shows where each secret landed, whatever the kind did around it.
 */
export interface SecretMarkers {
  readonly lookup: SecretLookup;
  /** The secret a marker stands for. */
  resolve(index: number): { readonly ref: string; readonly part: string; readonly value: string } | undefined;
  /** The public parts the render asked for (they may share text with secrets: an EC key holds its public point). */
  readonly publicValues: ReadonlySet<string>;
}

/** `@@olsecret-N@@`: characters q() leaves unquoted and no kind wraps (shorter than any line width). */
const MARKER_RE = /@@olsecret-(\d+)@@/;
const marker = (i: number): string => `@@olsecret-${i}@@`;

export function secretMarkers(real: SecretLookup): SecretMarkers {
  const list: { ref: string; part: string; value: string }[] = [];
  const byKey = new Map<string, number>();
  const publicValues = new Set<string>();
  return {
    publicValues,
    lookup: (ref, part = 'value') => {
      if (PUBLIC_PARTS.has(part)) {
        const v = real(ref, part);
        publicValues.add(v);
        return v;
      }
      const key = `${ref}:${part}`;
      let i = byKey.get(key);
      if (i === undefined) {
        i = list.length;
        list.push({ ref, part, value: real(ref, part) });
        byKey.set(key, i);
      }
      return marker(i);
    },
    resolve: (i) => list[i],
  };
}

// ---- checks ------------------------------------------------------------------------------

/**
 * Paths Ansible hands to ssh as `-o IdentityFile="…"`: ssh reads quotes and backslashes there
 * and expands `%x` and `${VAR}`; Ansible's templating reads braces. None of them, then.
 */
// eslint-disable-next-line no-control-regex -- the point is to refuse control characters
const IDENTITY_FILE_RE = /^[^\u0000-\u001f\u007f"'\\$%{}-][^\u0000-\u001f\u007f"'\\$%{}]*$/;
/** Bundle paths become module arguments and local file names: plain characters only. */
const BUNDLE_PATH_RE = /^(\/[A-Za-z0-9_@+][A-Za-z0-9._@+-]*)+$/;
/** Overlab's own shell text must not look like a template to Ansible. */
const JINJA_RE = /\{[{%#]/;

function checkHost(h: AnsibleHost, diagnostics: Diagnostic[]): void {
  const at = (...p: PathSegment[]): PathSegment[] => ['hosts', h.index, ...p];
  const t = h.target;
  if (!HOST_NAME_RE.test(h.name)) diagnostics.push(error('bad-host-name', at('name'), `host name ${JSON.stringify(h.name)} cannot be an inventory name: ${HOST_NAME_RULE}`));
  if (!SSH_HOST_RE.test(t.address)) diagnostics.push(error('bad-ssh-address', at('target', 'address'), `${JSON.stringify(t.address)} is not an SSH address: ${SSH_HOST_RULE}`));
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) diagnostics.push(error('bad-ssh-port', at('target', 'port'), `SSH port ${t.port} is out of range: use 1–65535`));
  if (!USER_NAME_RE.test(t.user)) diagnostics.push(error('bad-ssh-user', at('target', 'user'), `SSH user ${JSON.stringify(t.user)} is refused: ${USER_NAME_RULE}`));
  if (t.identityFile !== undefined && !IDENTITY_FILE_RE.test(t.identityFile)) {
    diagnostics.push(
      error(
        'bad-identity-file',
        at('target', 'identityFile'),
        `the identity file path ${JSON.stringify(t.identityFile)} cannot go into an Ansible inventory (ssh reads quotes, "\\", "$", "%" there and Ansible reads braces): move or link the key to a path without them, not starting with "-"`,
      ),
    );
  }
  for (const [i, f] of h.bundle.files.entries()) {
    if (!BUNDLE_PATH_RE.test(f.path) || f.path.split('/').some((s) => s === '.' || s === '..')) {
      diagnostics.push(error('bad-bundle-path', at(), `bug: ${h.name}'s bundle file ${i} has the path ${JSON.stringify(f.path)}, which is not absolute, normal and plain`));
    }
  }
}

// ---- templates ---------------------------------------------------------------------------

/** Text Jinja (as Ansible's template module runs it) prints exactly as written. */
function jinjaLiteral(s: string, first: boolean): string {
  // `{{`, `{%` and `{#` open a tag; a `{` last in a piece would open one with the expression after it.
  let out = s.replace(/\{(?=[{%#]|$)/g, "{{ '{' }}");
  // Ansible reads a first line starting with `#jinja2:` as template settings.
  if (first && out.startsWith('#jinja2:')) out = `{{ '#' }}${out.slice(1)}`;
  return out;
}

/** The forms in which a kind may print a secret, each with the Jinja filter that makes it from the value. */
const FORMS: readonly { readonly filter: string; readonly apply: (v: string) => string | undefined }[] = [
  { filter: '', apply: (v) => v },
  { filter: ' | trim', apply: (v) => v.trim() },
  // Static keys and the like, wrapped at a width (OpenVPN's: 32). Jinja's wordwrap splits a word longer than the width the same way.
  ...[32, 64].map((w) => ({ filter: ` | wordwrap(${w}, true)`, apply: (v: string) => (/\s/.test(v) || v.length <= w ? undefined : (v.match(new RegExp(`.{1,${w}}`, 'g')) ?? []).join('\n')) })),
];

/**
 * Matches the marked text (literals between markers) against the real one: for each marker the
 * form of its secret that makes the two equal, or undefined when none does.
 */
function align(real: string, literals: readonly string[], values: readonly string[]): number[] | undefined {
  const walk = (i: number, pos: number): number[] | undefined => {
    if (i === values.length) return pos === real.length ? [] : undefined;
    for (const [f, form] of FORMS.entries()) {
      const v = form.apply(values[i]!);
      if (v === undefined || !real.startsWith(v, pos)) continue;
      const next = pos + v.length;
      if (!real.startsWith(literals[i + 1]!, next)) continue;
      const rest = walk(i + 1, next + literals[i + 1]!.length);
      if (rest) return [f, ...rest];
    }
    return undefined;
  };
  return real.startsWith(literals[0]!) ? walk(0, literals[0]!.length) : undefined;
}

const vaultRef = (key: string): string => `{{ ${VAULT_VAR}['${key}'] }}`;

interface Item {
  /** Path in the bundle: `up.sh`, `down.sh`, `files/etc/…`. */
  readonly rel: string;
  readonly dest: string;
  readonly mode: number;
  readonly real: string;
  readonly marked: string;
}

interface Placed {
  readonly kind: 'copy' | 'template';
  readonly text: string;
}

/** A bundle item as Ansible installs it: copied verbatim, or a template that takes its secrets from the vault. */
function place(host: string, item: Item, markers: SecretMarkers, vault: Map<string, string>, used: Set<string>): Placed {
  const parts = item.marked.split(new RegExp(MARKER_RE.source, 'g'));
  if (parts.length === 1 && item.marked === item.real) return { kind: 'copy', text: item.real };
  const literals = parts.filter((_p, i) => i % 2 === 0);
  const secrets = parts.filter((_p, i) => i % 2 === 1).map((n) => markers.resolve(Number(n)));
  for (const s of secrets) if (s) used.add(s.value);
  const forms = parts.length > 1 && secrets.every((s) => s) && !literals.some((l) => l.includes('\r')) ? align(item.real, literals, secrets.map((s) => s!.value)) : undefined;
  if (!forms) {
    // The two renders differ only by the secrets, so where no marker and filter explain the
    // difference (a secret transformed, a marker-like text of the project's own), the whole file is secret.
    const key = `file:${host}:${item.rel}`;
    vault.set(key, item.real);
    return { kind: 'template', text: vaultRef(key) };
  }
  let text = jinjaLiteral(literals[0]!, true);
  secrets.forEach((s, i) => {
    const key = `${s!.ref}:${s!.part}`;
    vault.set(key, s!.value);
    text += `{{ ${VAULT_VAR}['${key}']${FORMS[forms[i]!]!.filter} }}${jinjaLiteral(literals[i + 1]!, false)}`;
  });
  return { kind: 'template', text };
}

/**
 * Pieces of a secret that must appear nowhere but in the vault (the Redactor's rule, and wrapped
 * lines), but those found in public material too: a PEM line of an EC key can be its public point.
 */
function pieces(value: string, publicValues: ReadonlySet<string>): string[] {
  const out = new Set<string>([value, value.trim()]);
  for (const line of value.split('\n')) if (line.length >= 16 && !line.startsWith('-----')) out.add(line.trim());
  if (!/\s/.test(value)) for (const chunk of value.match(/.{16,32}/g) ?? []) out.add(chunk);
  const pub = [...publicValues];
  return [...out].filter((p) => p.length >= 8 && !pub.some((v) => v.includes(p)));
}

// ---- YAML --------------------------------------------------------------------------------

/** YAML with `---`, a comment under it, lines short enough for ansible-lint, and `!unsafe` where asked. */
function yamlText(value: unknown, comment: string, unsafeValues = false): string {
  const doc = new Document(value);
  // The values (not the keys) of the mapping under the top-level key.
  if (unsafeValues) {
    visit(doc, {
      Scalar: (key, node, path) => {
        if (key === 'value' && path.length === 5 && typeof node.value === 'string') node.tag = '!unsafe';
      },
    });
  }
  if (doc.contents && !isScalar(doc.contents)) doc.contents.commentBefore = comment.split('\n').map((l) => (l ? ` ${l}` : '')).join('\n');
  return doc.toString({ directives: true, lineWidth: 120, indentSeq: true });
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

// ---- the playbooks -----------------------------------------------------------------------

/** Overlab's own script, one argument of /bin/sh (what `overlab deploy` runs through its SSH session). */
const sh = (script: string): { argv: string[] } => ({ argv: ['sh', '-c', script] });

function deployPlaybook(r: RemoteConvention): unknown[] {
  return [
    {
      name: 'Install the Overlab bundles and bring them up',
      hosts: GROUP,
      gather_facts: false,
      tasks: [
        { name: 'Read the hash of the deployed bundle', 'ansible.builtin.slurp': { src: r.hashFile }, register: 'overlab_deployed_file', failed_when: false },
        {
          name: 'Install the bundle where it differs from the deployed one',
          when: 'overlab_deployed != overlab_bundle_sha256',
          vars: { overlab_deployed: "{{ overlab_deployed_file.content | default('') | b64decode | trim }}" },
          block: [
            { name: 'Empty the upload area', 'ansible.builtin.file': { path: r.incoming, state: 'absent' } },
            {
              name: 'Make the upload area and its folders, 0700 before any key lands there',
              'ansible.builtin.file': { path: '{{ item }}', state: 'directory', mode: '0700' },
              loop: '{{ overlab_dirs }}',
            },
            {
              name: 'Upload the scripts and the files without secrets',
              'ansible.builtin.copy': { src: '{{ item.src }}', dest: '{{ item.dest }}', mode: '{{ item.mode }}' },
              loop: '{{ overlab_copy }}',
              loop_control: { label: '{{ item.dest }}' },
            },
            {
              name: 'Upload the files with secrets, filled in from the vault',
              'ansible.builtin.template': { src: '{{ item.src }}', dest: '{{ item.dest }}', mode: '{{ item.mode }}' },
              loop: '{{ overlab_templates }}',
              loop_control: { label: '{{ item.dest }}' },
              // A diff would print the secrets.
              diff: false,
            },
            { name: 'Record the hash of the bundle', 'ansible.builtin.copy': { content: '{{ overlab_bundle_sha256 }}\n', dest: r.incomingHashFile, mode: '0600' } },
            {
              name: 'Bring the bundle up',
              block: [
                { name: 'Swap the upload in and run its up.sh', when: 'overlab_deployed | length == 0', 'ansible.builtin.command': sh(r.applyFresh), changed_when: true },
                { name: 'Take the deployed bundle down, swap the upload in and run its up.sh', when: 'overlab_deployed | length > 0', 'ansible.builtin.command': sh(r.applyReplacing), changed_when: true },
              ],
              rescue: [
                { name: 'Take the new bundle down and bring the one it replaced back up', 'ansible.builtin.command': sh(r.rollback), changed_when: true },
                { name: 'Report the failure', 'ansible.builtin.fail': { msg: "up.sh failed and was rolled back: {{ ansible_failed_result.stderr | default(ansible_failed_result.msg) | default('') }}" } },
              ],
            },
          ],
        },
      ],
    },
    {
      name: 'Check that every peer answers over the tunnels',
      hosts: GROUP,
      gather_facts: false,
      tasks: [
        {
          name: 'Ping each peer over the tunnel (up to 30 s)',
          'ansible.builtin.command': { argv: ['ping', '-c', '1', '-W', '1', '{{ item.address }}'] },
          loop: '{{ overlab_peers }}',
          loop_control: { label: '{{ item.peer }} {{ item.address }}' },
          register: 'overlab_ping',
          until: 'overlab_ping.rc == 0',
          retries: 30,
          delay: 1,
          changed_when: false,
        },
        { name: 'Drop the bundle a re-deploy replaced', 'ansible.builtin.file': { path: r.previous, state: 'absent' } },
      ],
    },
  ];
}

function teardownPlaybook(r: RemoteConvention): unknown[] {
  return [
    {
      name: 'Take the Overlab bundles down and remove them',
      hosts: GROUP,
      gather_facts: false,
      tasks: [
        {
          name: "Run the deployed bundle's down.sh and remove its folder",
          'ansible.builtin.command': sh(r.teardown),
          register: 'overlab_down',
          changed_when: `'${r.removed}' in overlab_down.stdout_lines`,
        },
      ],
    },
  ];
}

/** Peers' tunnel addresses each host must reach once everything is up (deploy's verify step). */
function peersOf(plan: Plan, host: string): { peer: string; address: string }[] {
  const out: { peer: string; address: string }[] = [];
  for (const net of plan.networks) {
    const self = net.members.findIndex((m) => m.host === host);
    if (self < 0) continue;
    for (const [a, b] of net.edges) {
      if (a !== self && b !== self) continue;
      const peer = net.members[a === self ? b : a]!;
      out.push({ peer: peer.host, address: peer.address.split('/')[0]! });
    }
  }
  return out;
}

const ANSIBLE_CFG = `# Generated by \`overlab export ansible\`: settings for running the playbooks from this folder.
[defaults]
inventory = inventory.yml
interpreter_python = auto_silent
# The playbooks need no facts.
gathering = explicit

[ssh_connection]
# Modules go over the SSH session itself rather than through a temporary file: fewer round trips per task.
pipelining = True
`;

const LINT_CONFIG = `---
# The vault is data to encrypt, and bundles/ holds the hosts' own files: neither is Ansible content.
exclude_paths:
  - ${VAULT_FILE}
  - bundles/
offline: true
`;

function readme(plan: Plan, secrets: number, passwordHosts: readonly string[], encrypted: boolean): string {
  const vaultArg = encrypted ? ' --vault-password-file FILE' : secrets ? ' --ask-vault-pass' : '';
  return [
    `# Ansible hand-off of the Overlab project ${JSON.stringify(plan.name)}`,
    '',
    'Generated by `overlab export ansible`; change the project and export again rather than editing these files.',
    '',
    '- `inventory.yml`: the hosts and how to reach them (lab hosts through the running lab).',
    '- `deploy.yml`: installs each host\'s bundle in /var/lib/overlab (as `overlab deploy` does) and runs its `up.sh`,',
    '  only where the deployed bundle differs; then pings every peer over the tunnels.',
    '- `teardown.yml`: runs each host\'s `down.sh` and removes /var/lib/overlab.',
    ...(encrypted
      ? [`- \`${VAULT_FILE}\`: the ${secrets} secret value(s) the bundles need, encrypted with ansible-vault (mode 0600);`, '  FILE below is the vault password file given to `overlab export ansible` (or use --ask-vault-pass).']
      : [`- \`${VAULT_FILE}\`: the ${secrets} secret value(s) the bundles need, NOT ENCRYPTED (mode 0600). Encrypt it before sharing:`, '', `      ansible-vault encrypt ${VAULT_FILE}`]),
    '',
    'Run from this folder:',
    '',
    `      ansible-playbook deploy.yml${vaultArg}${passwordHosts.length ? ' -k -K' : ''}`,
    `      ansible-playbook teardown.yml${passwordHosts.length ? ' -k -K' : ''}`,
    '',
    ...(passwordHosts.length ? [`Hosts that log in with a password (${passwordHosts.join(', ')}): -k asks for it (needs sshpass), -K for sudo.`, ''] : []),
  ].join('\n');
}

// ---- the export --------------------------------------------------------------------------

/**
 * One host's part of the export: its bundle's files (secret values swapped for vault lookups),
 * the host_vars that tell deploy.yml where they go, and its inventory entry.
 */
function hostPart(h: AnsibleHost, input: AnsibleInput, vault: Map<string, string>, used: Set<string>): { files: ExportFile[]; inventory: Record<string, unknown> } {
  const { plan, remote } = input;
  const files: ExportFile[] = [];
  const b = h.bundle;
  const items: Item[] = [
    { rel: 'up.sh', dest: `${remote.incoming}/up.sh`, mode: 0o700, real: b.up, marked: h.marked.up },
    { rel: 'down.sh', dest: `${remote.incoming}/down.sh`, mode: 0o700, real: b.down, marked: h.marked.down },
    ...b.files.map((f, i) => ({ rel: `files${f.path}`, dest: `${remote.incoming}/files${f.path}`, mode: f.mode, real: f.content, marked: h.marked.files[i]?.path === f.path ? h.marked.files[i]!.content : '\u0000' })),
  ];
  const copies: { src: string; dest: string; mode: string }[] = [];
  const templates: { src: string; dest: string; mode: string }[] = [];
  for (const item of items) {
    const placed = place(h.name, item, input.markers, vault, used);
    const src = `bundles/${h.name}/${item.rel}${placed.kind === 'template' ? '.j2' : ''}`;
    // Kept private on this machine where the host keeps it private.
    files.push({ path: src, content: placed.text, mode: item.mode & 0o077 ? 0o644 : 0o600 });
    (placed.kind === 'copy' ? copies : templates).push({ src, dest: item.dest, mode: octal(item.mode) });
  }
  // The upload area and the folders its files need (their parents come with them).
  const dirs = [...new Set(b.files.map((f) => `${remote.incoming}/files${f.path.slice(0, f.path.lastIndexOf('/'))}`))].sort();
  const leaves = dirs.filter((d) => !dirs.some((o) => o.startsWith(`${d}/`)));
  files.push({
    path: `host_vars/${h.name}/overlab.yml`,
    mode: 0o644,
    content: yamlText(
      {
        overlab_bundle_sha256: h.hash,
        overlab_dirs: leaves.length ? leaves : [remote.incoming],
        overlab_copy: copies,
        overlab_templates: templates,
        overlab_peers: peersOf(plan, h.name),
      },
      `What deploy.yml installs on ${h.name}: its Overlab bundle (the same files as \`overlab render\` writes)\nand the SHA-256 that \`overlab deploy\` records for it.`,
    ),
  });

  const t = h.target;
  const inventory = {
    ansible_host: t.address,
    ansible_port: t.port,
    ansible_user: t.user,
    ...(t.identityFile ? { ansible_ssh_private_key_file: t.identityFile } : {}),
    ...(t.become ? { ansible_become: true, ansible_become_method: 'sudo' } : {}),
    // Lab hosts share this machine's programs.
    ...(t.lab ? { ansible_python_interpreter: '/usr/bin/python3' } : {}),
  };
  return { files, inventory };
}

/** The files of the whole project: the inventory, the two playbooks, Ansible's and ansible-lint's settings, the pinned host keys, the README. */
function projectFiles(input: AnsibleInput, inventoryHosts: Record<string, Record<string, unknown>>, secrets: number): ExportFile[] {
  const { plan, remote } = input;
  const passwordHosts = input.hosts.filter((h) => h.target.password).map((h) => h.name);
  const labHosts = input.hosts.filter((h) => h.target.lab).map((h) => h.name);
  return [
    {
      path: 'inventory.yml',
      mode: 0o644,
      content: yamlText(
        {
          all: {
            children: { [GROUP]: { hosts: inventoryHosts } },
            vars: {
              // Host keys pinned by Overlab first, then the user's own.
              ansible_ssh_common_args: `-o 'UserKnownHostsFile="{{ inventory_dir }}/known_hosts" ~/.ssh/known_hosts'`,
            },
          },
        },
        [
          `Hosts of the Overlab project ${JSON.stringify(plan.name)}, generated by \`overlab export ansible\`.`,
          ...(labHosts.length ? [`Lab hosts (${labHosts.join(', ')}) are reached through the running lab: its management addresses and key.`] : []),
          ...(passwordHosts.length ? [`Hosts that log in with a password (${passwordHosts.join(', ')}): run ansible-playbook with -k, and -K for sudo.`] : []),
        ].join('\n'),
      ),
    },
    {
      path: 'deploy.yml',
      mode: 0o644,
      content: yamlText(
        deployPlaybook(remote),
        `Generated by \`overlab export ansible\` from the project ${JSON.stringify(plan.name)}: change the project, not this file.\nInstalls each host's bundle where \`overlab deploy\` does (${remote.hashFile} holds its SHA-256) and runs its up.sh,\nonly where the deployed bundle differs: a second run changes nothing. Secrets come from ${VAULT_FILE}.`,
      ),
    },
    {
      path: 'teardown.yml',
      mode: 0o644,
      content: yamlText(teardownPlaybook(remote), `Generated by \`overlab export ansible\` from the project ${JSON.stringify(plan.name)}.\nRuns each host's down.sh (it removes everything up.sh made) and removes the bundle.`),
    },
    { path: 'ansible.cfg', mode: 0o644, content: ANSIBLE_CFG },
    { path: '.ansible-lint', mode: 0o644, content: LINT_CONFIG },
    { path: 'known_hosts', mode: 0o644, content: input.knownHosts },
    { path: 'README.md', mode: 0o644, content: readme(plan, secrets, passwordHosts, !!input.vaultEncrypted) },
  ];
}

/** The files that would hold a secret value, in any of the forms it could have been printed in: nothing but the vault may. */
function secretLeaks(files: readonly ExportFile[], used: ReadonlySet<string>, markers: SecretMarkers): Diagnostic[] {
  const secretPieces = [...used].flatMap((v) => pieces(v, markers.publicValues));
  return files.filter((f) => secretPieces.some((p) => f.content.includes(p))).map((f) => error('secret-inline', [], `bug: ${f.path} of the export would hold a secret value; nothing was written`));
}

/** The vault: every secret value, by reference:part, marked unsafe so Ansible never templates them. */
function vaultFile(plan: Plan, vault: ReadonlyMap<string, string>): ExportFile {
  const sorted = [...vault.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    path: VAULT_FILE,
    mode: 0o600,
    content: yamlText(
      { [VAULT_VAR]: Object.fromEntries(sorted) },
      `Secret values of the Overlab project ${JSON.stringify(plan.name)} (keys, PSKs, passwords), by reference:part.\nEncrypt this file before sharing or committing it:  ansible-vault encrypt ${VAULT_FILE}\n(!unsafe: Ansible uses the values as they are, never as templates.)`,
      true,
    ),
  };
}

export function ansibleExport(input: AnsibleInput): Result<AnsibleExport> {
  const { plan, remote } = input;
  const diagnostics: Diagnostic[] = [];
  for (const h of input.hosts) checkHost(h, diagnostics);
  for (const [name, text] of Object.entries(remote)) if (JINJA_RE.test(text)) diagnostics.push(error('bad-remote-script', [], `bug: the remote ${name} script reads as a template to Ansible`));
  if (diagnostics.length) return { diagnostics };

  const files: ExportFile[] = [];
  const vault = new Map<string, string>();
  /** Every secret value the bundles hold: none may appear outside the vault. */
  const used = new Set<string>();
  const inventoryHosts: Record<string, Record<string, unknown>> = {};
  for (const h of input.hosts) {
    const part = hostPart(h, input, vault, used);
    files.push(...part.files);
    inventoryHosts[h.name] = part.inventory;
  }
  files.push(...projectFiles(input, inventoryHosts, vault.size));

  const leaks = secretLeaks(files, used, input.markers);
  if (leaks.length) return { diagnostics: leaks };

  files.push(vaultFile(plan, vault));
  const paths = files.map((f) => f.path);
  const dup = paths.find((p, i) => paths.indexOf(p) !== i);
  if (dup) return { diagnostics: [error('export-mismatch', [], `bug: two files of the export would be ${dup}`)] };
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { value: { files, vault: VAULT_FILE, secrets: vault.size }, diagnostics: [] };
}
