/**
 * The inspector: the selected host, the selected link, or the project itself. Every field is
 * validated as you type by the shared validator (the same messages as `overlab validate`),
 * shown under the field. Text fields commit on Enter or when they lose focus (one undo step);
 * choices commit at once.
 */
import { z } from 'zod';
import type { Diagnostic } from '../../../shared/diagnostics';
import { fittingShape, renameHost, setLinkKind, updateHost, updateLink, updateProject } from '../../../shared/edit';
import { MEASUREMENT_TOOLS, ROLES, SHAPES, type Host, type Link, type Topology } from '../../../shared/schema';
import { useChecked } from '../checker';
import { fieldProblems, registry } from '../derived';
import { store, useStore } from '../store/hooks';
import { lockReason } from '../store/index';
import { LinkConditionsEditor, UplinkEditor } from './ConditionsEditor';
import { Field, Problems, TextInput } from './fields';

const edit = (fn: (t: Topology) => Topology | string): void => void store.getState().edit(fn);
const numberOr = (v: string): number | string => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

function HostInspector({ host, problems }: { host: Host; problems: Map<string, Diagnostic[]> }) {
  const locked = useStore((s) => !!lockReason(s));
  const t = host.target;
  const setTarget = (patch: Record<string, unknown>): void => edit((topo) => updateHost(topo, host.id, { target: { ...(topo.hosts.find((h) => h.id === host.id)!.target as object), ...patch } as Host['target'] }));
  return (
    <section aria-label={`Host ${host.name}`} className="inspector">
      <h2>Host</h2>
      <Field label="Name" problems={problems.get('name')} hint="1–15 characters: a–z, 0–9 and -, starting with a letter; links follow a rename">
        <TextInput label="Host name" value={host.name} disabled={locked} onCommit={(v) => edit((topo) => { const r = renameHost(topo, host.id, v.trim()); return 'error' in r ? r.error : r.topology; })} />
      </Field>
      <Field label="Role" problems={problems.get('role')}>
        <select aria-label="Role" value={host.role} disabled={locked} onChange={(e) => edit((topo) => updateHost(topo, host.id, { role: e.target.value as Host['role'] }))}>
          {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
      </Field>
      <Field label="Where" problems={problems.get('target')}>
        <select
          aria-label="Target"
          value={t.type}
          disabled={locked}
          onChange={(e) => edit((topo) => updateHost(topo, host.id, { target: e.target.value === 'lab' ? { type: 'lab' } : { type: 'ssh', address: '', port: 22, user: 'root', sudo: false, password: false } }))}
        >
          <option value="lab">embedded lab (this machine)</option>
          <option value="ssh">a machine over SSH</option>
        </select>
      </Field>
      {t.type === 'ssh' ? (
        <div className="field-group">
          <Field label="Address" problems={problems.get('target.address')}>
            <TextInput label="SSH address" value={t.address} placeholder="10.0.0.5 or host.example" disabled={locked} onCommit={(v) => setTarget({ address: v.trim() })} />
          </Field>
          <Field label="User" problems={problems.get('target.user')}>
            <TextInput label="SSH user" value={t.user} disabled={locked} onCommit={(v) => setTarget({ user: v.trim() })} />
          </Field>
          <Field label="Port" problems={problems.get('target.port')}>
            <TextInput label="SSH port" type="number" value={String(t.port)} disabled={locked} onCommit={(v) => setTarget({ port: numberOr(v) })} />
          </Field>
          <Field label="Identity file" problems={problems.get('target.identityFile')} hint="empty: the SSH agent">
            <TextInput label="Identity file" value={t.identityFile ?? ''} placeholder="~/.ssh/id_ed25519" disabled={locked} onCommit={(v) => setTarget({ identityFile: v.trim() || undefined })} />
          </Field>
          <label className="check"><input type="checkbox" checked={t.sudo} disabled={locked} onChange={(e) => setTarget({ sudo: e.target.checked })} /> run as root through sudo</label>
          <label className="check"><input type="checkbox" checked={t.password} disabled={locked} onChange={(e) => setTarget({ password: e.target.checked })} /> log in with a password (asked at deploy, never stored)</label>
          <label className="check">
            <input type="checkbox" aria-label="Apply conditions on this machine" checked={t.applyConditions === true} disabled={locked} onChange={(e) => setTarget({ applyConditions: e.target.checked || undefined })} /> let Overlab shape this machine’s network for link conditions
          </label>
          <span className="field-hint">
            It changes the machine’s network: tc on {host.underlay.interface} (a queue per peer, with delay, loss or a rate limit) while the lab is deployed, removed at teardown. Off: conditions on its links are refused here.
          </span>
          <Problems items={problems.get('target.applyConditions')} />
        </div>
      ) : null}
      <Field label="LAN" problems={problems.get('lan')} hint="the site's network behind this host, e.g. 198.18.20.0/24; empty: none">
        <TextInput label="LAN" value={host.lan ?? ''} disabled={locked} onCommit={(v) => edit((topo) => updateHost(topo, host.id, { lan: v.trim() || undefined }))} />
      </Field>
      <Field label="Underlay interface" problems={problems.get('underlay.interface')}>
        <TextInput label="Underlay interface" value={host.underlay.interface} disabled={locked} onCommit={(v) => edit((topo) => updateHost(topo, host.id, { underlay: { ...host.underlay, interface: v.trim() } }))} />
      </Field>
      <Field label="Underlay address" problems={problems.get('underlay.address')} hint={t.type === 'lab' ? 'empty: planned from the underlay subnet' : 'required: the address its peers reach it at'}>
        <TextInput label="Underlay address" value={host.underlay.address ?? ''} disabled={locked} onCommit={(v) => edit((topo) => updateHost(topo, host.id, { underlay: { interface: host.underlay.interface, ...(v.trim() ? { address: v.trim() } : {}) } }))} />
      </Field>
      <Field label="Firewall" problems={problems.get('os.firewall')} hint="how TCP MSS clamping is written">
        <select aria-label="Firewall" value={host.os.firewall} disabled={locked} onChange={(e) => edit((topo) => updateHost(topo, host.id, { os: { firewall: e.target.value as 'nftables' | 'iptables' } }))}>
          <option value="nftables">nftables</option>
          <option value="iptables">iptables</option>
        </select>
      </Field>
      <UplinkEditor host={host} problems={problems} locked={locked} />
    </section>
  );
}

interface OptionSpec {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean';
  readonly enum?: readonly string[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
}

/** A kind's options, read off its schema (JSON Schema from zod): the form is generated, never written per kind. */
export function optionSpecs(schema: z.ZodType): OptionSpec[] {
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { type?: string; enum?: string[]; default?: unknown; minimum?: number; maximum?: number }> };
  return Object.entries(js.properties ?? {}).map(([name, p]) => ({
    name,
    type: (p.enum ? 'string' : p.type === 'integer' || p.type === 'number' || p.type === 'boolean' ? p.type : 'string') as OptionSpec['type'],
    ...(p.enum ? { enum: p.enum } : {}),
    ...(p.default !== undefined ? { default: p.default } : {}),
    ...(p.minimum !== undefined ? { minimum: p.minimum } : {}),
    ...(p.maximum !== undefined ? { maximum: p.maximum } : {}),
  }));
}

function LinkInspector({ link, problems, topology }: { link: Link; problems: Map<string, Diagnostic[]>; topology: Topology }) {
  const locked = useStore((s) => !!lockReason(s));
  const found = registry.kinds.find((k) => k.id === link.kind);
  const planned = useChecked(topology)?.plan?.links.find((l) => l.id === link.id);
  const computed = found ? topology.underlay.mtu - found.overhead(found.options.parse(found.options.safeParse(link.options).success ? link.options : {}), 4, topology.underlay.mtu) : undefined;
  const setOption = (name: string, value: unknown): void =>
    edit((t) => {
      const l = t.links.find((x) => x.id === link.id)!;
      const options = { ...l.options };
      if (value === undefined || value === '') delete options[name];
      else options[name] = value;
      return updateLink(t, link.id, { options });
    });
  const ends = topology.hosts.filter((h) => h.name === link.a || h.name === link.b);
  return (
    <section aria-label={`Link ${link.a} — ${link.b}`} className="inspector">
      <h2>Link {link.a} — {link.b}</h2>
      <Field label="Tunnel" problems={problems.get('kind')}>
        <div className="row">
          <select aria-label="Kind" value={link.kind} disabled={locked} onChange={(e) => edit((t) => setLinkKind(t, link.id, e.target.value))}>
            {registry.kinds.map((k) => <option key={k.id} value={k.id}>{k.id} — {k.label}</option>)}
          </select>
          <button type="button" disabled={locked || ends.length < 2} onClick={() => store.getState().setDialog({ type: 'picker', a: ends[0]!.id, b: ends[1]!.id, linkId: link.id })}>Compare…</button>
        </div>
        {found ? <span className="field-hint">{found.layer}, {found.encrypted ? 'encrypted' : 'not encrypted'}, {found.transport(found.options.parse({}))}</span> : null}
      </Field>
      {found ? (
        <fieldset className="options">
          <legend>{found.label} options</legend>
          {optionSpecs(found.options).length === 0 ? <p className="muted small">This kind has no options.</p> : null}
          {optionSpecs(found.options).map((o) => {
            const value = link.options[o.name];
            const p = problems.get(`options.${o.name}`) ?? problems.get('options');
            const dflt = o.default !== undefined ? `default ${String(o.default)}` : 'optional';
            if (o.type === 'boolean') {
              return (
                <label key={o.name} className="check">
                  <input type="checkbox" aria-label={o.name} disabled={locked} checked={typeof value === 'boolean' ? value : o.default === true} onChange={(e) => setOption(o.name, e.target.checked === o.default ? undefined : e.target.checked)} /> {o.name} <span className="muted small">({dflt})</span>
                  <Problems items={p} />
                </label>
              );
            }
            if (o.enum) {
              return (
                <Field key={o.name} label={o.name} problems={p} hint={dflt}>
                  <select aria-label={o.name} disabled={locked} value={typeof value === 'string' ? value : String(o.default ?? '')} onChange={(e) => setOption(o.name, e.target.value === o.default ? undefined : e.target.value)}>
                    {o.default === undefined ? <option value="">(none)</option> : null}
                    {o.enum.map((v) => <option key={v} value={v}>{v}</option>)}
                  </select>
                </Field>
              );
            }
            return (
              <Field key={o.name} label={o.name} problems={p} hint={`${dflt}${o.minimum !== undefined ? `, ${o.minimum}–${o.maximum ?? '…'}` : ''}`}>
                <TextInput label={o.name} type={o.type === 'string' ? 'text' : 'number'} value={value === undefined ? '' : String(value)} placeholder={o.default !== undefined ? String(o.default) : ''} disabled={locked} onCommit={(v) => setOption(o.name, v.trim() === '' ? undefined : o.type === 'string' ? v : numberOr(v))} />
              </Field>
            );
          })}
        </fieldset>
      ) : null}
      <Field label="MTU override" problems={problems.get('mtu')} hint={computed !== undefined ? `computed: ${computed} (underlay ${topology.underlay.mtu} − ${topology.underlay.mtu - computed} B of headers)${planned ? `; planned: ${planned.mtu}, MSS ${planned.mss}` : ''}` : undefined}>
        <TextInput label="MTU override" type="number" value={link.mtu === undefined ? '' : String(link.mtu)} placeholder={computed !== undefined ? String(computed) : ''} disabled={locked} onCommit={(v) => edit((t) => updateLink(t, link.id, { mtu: v.trim() === '' ? undefined : (numberOr(v) as number) }))} />
      </Field>
      <LinkConditionsEditor link={link} problems={problems} locked={locked} />
    </section>
  );
}

function ProjectInspector({ topology, diagnostics }: { topology: Topology; diagnostics: readonly Diagnostic[] }) {
  const locked = useStore((s) => !!lockReason(s));
  const at = (path: string): Diagnostic[] => diagnostics.filter((d) => d.path === path || d.path.startsWith(`${path}.`) || d.path.startsWith(`${path}[`));
  const fits = fittingShape(topology);
  const m = topology.measurement;
  return (
    <section aria-label="Project" className="inspector">
      <h2>Project</h2>
      <Field label="Name" problems={at('name')}>
        <TextInput label="Project name" value={topology.name} disabled={locked} onCommit={(v) => edit((t) => updateProject(t, { name: v }))} />
      </Field>
      <Field label="Shape" problems={diagnostics.filter((d) => d.code === 'shape-mismatch' || d.path === 'shape')}>
        <select aria-label="Shape" value={topology.shape} disabled={locked} onChange={(e) => edit((t) => updateProject(t, { shape: e.target.value as Topology['shape'] }))}>
          {SHAPES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        {fits !== topology.shape ? (
          <span className="field-hint fits">
            The drawing is a {fits} now. <button type="button" disabled={locked} onClick={() => edit((t) => updateProject(t, { shape: fits }))}>Make it a {fits}</button>
          </span>
        ) : null}
      </Field>
      <Field label="Underlay subnet" problems={at('underlay.subnet')}>
        <TextInput label="Underlay subnet" value={topology.underlay.subnet} disabled={locked} onCommit={(v) => edit((t) => updateProject(t, { underlay: { ...t.underlay, subnet: v.trim() } }))} />
      </Field>
      <Field label="Underlay MTU" problems={at('underlay.mtu')} hint="576–9216; the paper measured 1500 and 9000">
        <TextInput label="Underlay MTU" type="number" value={String(topology.underlay.mtu)} disabled={locked} onCommit={(v) => edit((t) => updateProject(t, { underlay: { ...t.underlay, mtu: numberOr(v) as number } }))} />
      </Field>
      <Field label="Tunnel address pool" problems={at('pools.tunnels')}>
        <TextInput label="Tunnel pool" value={topology.pools.tunnels} disabled={locked} onCommit={(v) => edit((t) => updateProject(t, { pools: { tunnels: v.trim() } }))} />
      </Field>
      <Field label="Lab management network" problems={at('lab.management')}>
        <TextInput label="Lab management" value={topology.lab.management} disabled={locked} onCommit={(v) => edit((t) => updateProject(t, { lab: { management: v.trim() } }))} />
      </Field>
      <fieldset className="options">
        <legend>Measurement plan (the “project” suite)</legend>
        <div className="checks">
          {MEASUREMENT_TOOLS.map((tool) => (
            <label key={tool} className="check">
              <input type="checkbox" disabled={locked} checked={m.tools.includes(tool)} onChange={(e) => edit((t) => updateProject(t, { measurement: { ...t.measurement, tools: e.target.checked ? [...t.measurement.tools, tool] : t.measurement.tools.filter((x) => x !== tool) } }))} /> {tool}
            </label>
          ))}
        </div>
        <Field label="Seconds per test" problems={at('measurement.duration')}>
          <TextInput label="Test duration" type="number" value={String(m.duration)} disabled={locked} onCommit={(v) => edit((t) => updateProject(t, { measurement: { ...t.measurement, duration: numberOr(v) as number } }))} />
        </Field>
        <Field label="Pings" problems={at('measurement.pingCount')}>
          <TextInput label="Ping count" type="number" value={String(m.pingCount)} disabled={locked} onCommit={(v) => edit((t) => updateProject(t, { measurement: { ...t.measurement, pingCount: numberOr(v) as number } }))} />
        </Field>
        <Field label="UDP rate" problems={at('measurement.udpBandwidth')}>
          <TextInput label="UDP rate" value={m.udpBandwidth} disabled={locked} onCommit={(v) => edit((t) => updateProject(t, { measurement: { ...t.measurement, udpBandwidth: v.trim() } }))} />
        </Field>
        <Field label="Repetitions" problems={at('measurement.repetitions')}>
          <TextInput label="Repetitions" type="number" value={String(m.repetitions)} disabled={locked} onCommit={(v) => edit((t) => updateProject(t, { measurement: { ...t.measurement, repetitions: numberOr(v) as number } }))} />
        </Field>
      </fieldset>
    </section>
  );
}

export function Inspector() {
  const topology = useStore((s) => s.topology);
  const selected = useStore((s) => s.selected);
  const checked = useChecked(topology);
  if (!topology) return null;
  const diagnostics = checked?.diagnostics ?? [];
  const ids = [...selected];
  if (ids.length === 1) {
    const host = topology.hosts.find((h) => h.id === ids[0]);
    if (host) return <HostInspector key={host.id} host={host} problems={fieldProblems(diagnostics, host.id)} />;
    const link = topology.links.find((l) => l.id === ids[0]);
    if (link) return <LinkInspector key={link.id} link={link} problems={fieldProblems(diagnostics, link.id)} topology={topology} />;
  }
  if (ids.length > 1) {
    return (
      <section className="inspector" aria-label="Selection">
        <h2>{ids.length} selected</h2>
        <p className="muted">Drag to move them together; Delete removes them, Ctrl+C / Ctrl+V copies them (with fresh names and LANs).</p>
      </section>
    );
  }
  return <ProjectInspector topology={topology} diagnostics={diagnostics} />;
}
