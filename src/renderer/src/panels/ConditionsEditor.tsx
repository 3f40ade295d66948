/**
 * Link conditions in the inspector: a link's (a preset, and fields for both directions or for
 * each one) and a host's uplink (up / down). The preset's figures show as each field's
 * placeholder, so a field typed in overrides that one figure and the rest stay the preset's.
 * Every change is a document edit — text fields commit on Enter or blur, one undo step per field
 * typed, a pick one step — and the validator's messages show under the field they name
 * (links[i].conditions.aToB.jitter …). Beside what is set: what the hosts hold (conditions.read),
 * with a difference marked, and "Apply conditions", which changes only tc, never the tunnels.
 */
import { useState } from 'react';
import type { Diagnostic } from '../../../shared/diagnostics';
import { DISTRIBUTIONS, describe, isEmpty, linkDirections, merge, needsNetem, PRESETS, presetOf, uplinkDirections, type Condition, type LinkConditions, type Uplink } from '../../../shared/conditions';
import { updateHost, updateLink } from '../../../shared/edit';
import type { Host, Link, Topology } from '../../../shared/schema';
import { conditionsBadge, sameCondition } from '../../../shared/view/conditions';
import { runCommand } from '../commands/index';
import { env } from '../env';
import { store, useStore } from '../store/hooks';
import { Field, Problems, TextInput } from './fields';

type Key = keyof Condition;
interface FieldSpec {
  readonly key: Key;
  readonly label: string;
  readonly unit?: string;
  readonly hint?: string;
}

/** Always shown: what people set most. */
const MAIN: readonly FieldSpec[] = [
  { key: 'delay', label: 'Delay', unit: 'ms', hint: 'one way' },
  { key: 'jitter', label: 'Jitter', unit: 'ms' },
  { key: 'loss', label: 'Loss', unit: '%' },
  { key: 'rate', label: 'Rate', unit: 'Mbit/s' },
];
/** Under "More": the rarer netem figures and the queue. */
const MORE: readonly FieldSpec[] = [
  { key: 'jitterReason', label: 'Why jitter may exceed the delay' },
  { key: 'lossCorrelation', label: 'Loss correlation', unit: '%', hint: 'bursty loss (Wi-Fi)' },
  { key: 'duplicate', label: 'Duplicate', unit: '%' },
  { key: 'reorder', label: 'Reorder', unit: '%', hint: 'needs a delay' },
  { key: 'corrupt', label: 'Corrupt', unit: '%' },
  { key: 'limit', label: 'Queue limit', unit: 'packets', hint: 'empty: from the bandwidth-delay product' },
];

const numberOr = (v: string): number | string => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v.trim());

/** A condition without its unset fields; undefined when nothing is left. */
function clean(c: Condition | undefined): Condition | undefined {
  if (!c) return undefined;
  const out = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined && v !== '')) as Condition;
  return Object.keys(out).length ? out : undefined;
}
function cleanParts<T extends Record<string, unknown>>(c: T): T | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    const x = k === 'preset' ? v : clean(v as Condition | undefined);
    if (x !== undefined) out[k] = x;
  }
  return Object.keys(out).length ? (out as T) : undefined;
}

const edit = (fn: (t: Topology) => Topology | string): boolean => store.getState().edit(fn);

/** The fields of one condition (one direction, or both). `base` is what the preset gives: shown as placeholders. */
function ConditionFields({ value, base, problems, path, label, locked, onSet }: {
  value: Condition | undefined;
  base: Condition;
  problems: Map<string, Diagnostic[]>;
  /** The condition's path under its subject (`conditions.both`, `uplink.up`). */
  path: string;
  /** How the fields are named for assistive tech and tests ("a → b delay"). */
  label: string;
  locked: boolean;
  onSet: (key: Key, v: unknown) => void;
}) {
  const p = (k: Key): Diagnostic[] | undefined => problems.get(`${path}.${k}`);
  const field = (f: FieldSpec) => (
    <Field key={f.key} label={`${f.label}${f.unit ? ` (${f.unit})` : ''}`} problems={p(f.key)} {...(f.hint ? { hint: f.hint } : {})}>
      <TextInput
        label={`${label} ${f.label.toLowerCase()}`}
        type={f.key === 'jitterReason' ? 'text' : 'number'}
        value={value?.[f.key] === undefined ? '' : String(value[f.key])}
        placeholder={base[f.key] === undefined ? '' : String(base[f.key])}
        disabled={locked}
        onCommit={(v) => onSet(f.key, v.trim() === '' ? undefined : f.key === 'jitterReason' ? v.trim() : numberOr(v))}
      />
    </Field>
  );
  const hasMore = MORE.some((f) => value?.[f.key] !== undefined || base[f.key] !== undefined || p(f.key)) || value?.distribution !== undefined;
  return (
    <div className="condition-fields">
      <div className="condition-grid">{MAIN.map(field)}</div>
      <details open={hasMore}>
        <summary>More (distribution, correlation, duplicate, reorder, corrupt, queue)</summary>
        <Field label="Jitter distribution" problems={p('distribution')}>
          <select aria-label={`${label} distribution`} disabled={locked} value={value?.distribution ?? ''} onChange={(e) => onSet('distribution', e.target.value || undefined)}>
            <option value="">{base.distribution ? `${base.distribution} (preset)` : '(netem’s default)'}</option>
            {DISTRIBUTIONS.map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </Field>
        <div className="condition-grid">{MORE.map(field)}</div>
      </details>
    </div>
  );
}

/** The preset picker: each preset with its figures; the chosen one's description under it. */
function PresetPicker({ value, forUplink, locked, problems, onPick }: { value: string | undefined; forUplink: boolean; locked: boolean; problems: Diagnostic[] | undefined; onPick: (id: string | undefined) => void }) {
  const figures = (id: string): string => {
    const p = presetOf(id)!;
    if (forUplink) {
      const d = uplinkDirections({ preset: id });
      return isEmpty(d.up) && isEmpty(d.down) ? 'nothing added' : `up ${describe(d.up)}; down ${describe(d.down)}`;
    }
    return isEmpty(p.link) ? 'nothing added' : `${describe(p.link!)} each way`;
  };
  const chosen = presetOf(value);
  return (
    <Field label="Preset" problems={problems} hint={chosen ? chosen.description : 'none: only the fields below (empty: a perfect wire)'}>
      <select aria-label={forUplink ? 'Uplink preset' : 'Conditions preset'} value={value ?? ''} disabled={locked} onChange={(e) => onPick(e.target.value || undefined)}>
        <option value="">None</option>
        {PRESETS.filter((p) => forUplink || p.link).map((p) => <option key={p.id} value={p.id}>{p.label} — {figures(p.id)}</option>)}
      </select>
    </Field>
  );
}

/** Whether this machine (per what the hosts answered) cannot apply netem's figures: said beside the fields, before a refusal. */
function NetemNote({ conditions }: { conditions: readonly Condition[] }) {
  const lacks = useStore((s) => s.inForce?.capability.filter((c) => c.netem === 'no').map((c) => c.host).join(', ') ?? '');
  if (!conditions.some(needsNetem)) return null;
  return (
    <p className="field-hint netem-note">
      Delay, jitter, loss, duplication, reordering and corruption need netem (sch_netem).
      {lacks ? ` ${lacks} cannot apply them (no sch_netem in its kernel): they run in the full-kernel runner or on a host with netem; a rate alone runs anywhere (htb).` : ' A kernel without it refuses them when they are applied.'}
    </p>
  );
}

export function LinkConditionsEditor({ link, problems, locked }: { link: Link; problems: Map<string, Diagnostic[]>; locked: boolean }) {
  const c: LinkConditions = link.conditions ?? {};
  const hasDirections = !!(c.aToB || c.bToA);
  const [perDirection, setPerDirection] = useState(hasDirections);
  // Undo or another edit may bring directions back: show them.
  if (hasDirections && !perDirection) setPerDirection(true);
  const preset = presetOf(c.preset)?.link ?? {};
  const set = (fn: (c: LinkConditions) => LinkConditions): boolean =>
    edit((t) => {
      const l = t.links.find((x) => x.id === link.id);
      if (!l) return t;
      const next = cleanParts(fn(l.conditions ?? {}));
      return updateLink(t, link.id, { conditions: next });
    });
  const setField = (part: 'both' | 'aToB' | 'bToA') => (key: Key, v: unknown) => set((x) => ({ ...x, [part]: { ...x[part], [key]: v } }));
  const toggle = (on: boolean): void => {
    if (on) {
      // Both directions start from what "both" said; one step, undone as one.
      if (c.both) set(({ both, ...x }) => ({ ...x, aToB: merge(both, x.aToB), bToA: merge(both, x.bToA) }));
      setPerDirection(true);
    } else {
      // Back to one set of figures for both: a → b's (b → a's own figures are dropped; undo brings them back).
      if (set(({ aToB, bToA: _b, ...x }) => ({ ...x, both: merge(x.both, aToB) }))) setPerDirection(false);
    }
  };
  const dirs = linkDirections(c);
  return (
    <fieldset className="options conditions" aria-label="Link conditions">
      <legend>Conditions (the underlay under this tunnel)</legend>
      <PresetPicker value={c.preset} forUplink={false} locked={locked} problems={problems.get('conditions.preset') ?? problems.get('conditions')} onPick={(id) => set((x) => ({ ...x, preset: id }))} />
      <label className="check">
        <input type="checkbox" aria-label="Per direction" checked={perDirection} disabled={locked} onChange={(e) => toggle(e.target.checked)} /> per direction ({link.a} → {link.b} and {link.b} → {link.a} apart)
      </label>
      {perDirection ? (
        <div className="directions">
          <div className="direction">
            <h3>{link.a} → {link.b}</h3>
            <Problems items={problems.get('conditions.aToB')} />
            <ConditionFields value={c.aToB} base={merge(preset, c.both)} problems={problems} path="conditions.aToB" label={`${link.a} to ${link.b}`} locked={locked} onSet={setField('aToB')} />
          </div>
          <div className="direction">
            <h3>{link.b} → {link.a}</h3>
            <Problems items={problems.get('conditions.bToA')} />
            <ConditionFields value={c.bToA} base={merge(preset, c.both)} problems={problems} path="conditions.bToA" label={`${link.b} to ${link.a}`} locked={locked} onSet={setField('bToA')} />
          </div>
        </div>
      ) : (
        <>
          <Problems items={problems.get('conditions.both')} />
          <ConditionFields value={c.both} base={preset} problems={problems} path="conditions.both" label="Both directions" locked={locked} onSet={setField('both')} />
        </>
      )}
      <p className="field-hint effective" data-testid="conditions-effective">
        {isEmpty(dirs.aToB) && isEmpty(dirs.bToA)
          ? 'None: a perfect wire.'
          : sameCondition(dirs.aToB, dirs.bToA)
            ? `Each way: ${describe(dirs.aToB)}.`
            : `${link.a} → ${link.b}: ${describe(dirs.aToB)}; ${link.b} → ${link.a}: ${describe(dirs.bToA)}.`}
      </p>
      <NetemNote conditions={[dirs.aToB, dirs.bToA]} />
      <InForce subject={{ type: 'link', id: link.id, names: [`${link.a} → ${link.b}`, `${link.b} → ${link.a}`] }} asked={[dirs.aToB, dirs.bToA]} hosts={[link.a, link.b]} />
    </fieldset>
  );
}

export function UplinkEditor({ host, problems, locked }: { host: Host; problems: Map<string, Diagnostic[]>; locked: boolean }) {
  const u: Uplink = host.uplink ?? {};
  const p = presetOf(u.preset);
  const base = uplinkDirections(p ? { preset: p.id } : undefined);
  const set = (fn: (u: Uplink) => Uplink): boolean =>
    edit((t) => {
      const h = t.hosts.find((x) => x.id === host.id);
      if (!h) return t;
      return updateHost(t, host.id, { uplink: cleanParts(fn(h.uplink ?? {})) });
    });
  const setField = (part: 'up' | 'down') => (key: Key, v: unknown) => set((x) => ({ ...x, [part]: { ...x[part], [key]: v } }));
  const dirs = uplinkDirections(u);
  const ssh = host.target.type === 'ssh';
  return (
    <fieldset className="options conditions" aria-label="Uplink conditions">
      <legend>Uplink (every link of {host.name} shares it)</legend>
      <Problems items={problems.get('uplink')} />
      <PresetPicker value={u.preset} forUplink locked={locked} problems={problems.get('uplink.preset')} onPick={(id) => set((x) => ({ ...x, preset: id }))} />
      <div className="directions">
        <div className="direction">
          <h3>Up (what {host.name} sends)</h3>
          <ConditionFields value={u.up} base={merge(base.up, u.both)} problems={problems} path="uplink.up" label={`${host.name} up`} locked={locked} onSet={setField('up')} />
        </div>
        <div className="direction">
          <h3>Down (what it receives)</h3>
          {ssh ? <p className="field-hint">On a machine of yours Overlab shapes only what it sends: set the peers’ links towards {host.name} instead.</p> : null}
          <ConditionFields value={u.down} base={merge(base.down, u.both)} problems={problems} path="uplink.down" label={`${host.name} down`} locked={locked} onSet={setField('down')} />
        </div>
      </div>
      <p className="field-hint effective">{isEmpty(dirs.up) && isEmpty(dirs.down) ? 'None.' : `Up: ${describe(dirs.up)}; down: ${describe(dirs.down)}.`}</p>
      <NetemNote conditions={[dirs.up, dirs.down]} />
      <InForce subject={{ type: 'host', id: host.id, names: ['up', 'down'] }} asked={[dirs.up, dirs.down]} hosts={[host.name]} />
    </fieldset>
  );
}

/**
 * What the hosts hold (the last conditions.read) next to what is set, a difference marked; the
 * last apply's errors for these hosts; and the buttons to apply (tc only) and to read again.
 */
function InForce({ subject, asked, hosts }: { subject: { type: 'link' | 'host'; id: string; names: readonly [string, string] }; asked: readonly [Condition, Condition]; hosts: readonly string[] }) {
  const read = useStore((s) => s.inForce);
  const problem = useStore((s) => s.readProblem);
  const applied = useStore((s) => s.lastApply);
  const canApply = useStore((s) => !!s.topology && !(s.run && !s.run.result) && Object.values(s.hostState).some((x) => x === 'up'));
  const entry = subject.type === 'link' ? read?.links.find((l) => l.linkId === subject.id) : read?.uplinks.find((u) => u.hostId === subject.id);
  const pairs = entry ? ('aToB' in entry ? [entry.aToB, entry.bToA] : [entry.up, entry.down]) : undefined;
  const unread = read?.unread.filter((u) => hosts.includes(u.host)) ?? [];
  const failures = applied?.hosts.filter((h) => hosts.includes(h.host) && h.status === 'failed') ?? [];
  return (
    <div className="in-force" aria-label="Conditions in force">
      <h3>On the hosts</h3>
      {read ? (
        <table className="in-force-table">
          <thead><tr><th /><th>set</th><th>in force (read back)</th></tr></thead>
          <tbody>
            {subject.names.map((name, i) => {
              const inForce = pairs?.[i]?.inForce;
              const differs = inForce !== undefined && !sameCondition(asked[i], inForce);
              return (
                <tr key={name} className={differs ? 'differs' : undefined} data-differs={differs || undefined}>
                  <td>{name}</td>
                  <td>{conditionsBadge(asked[i]) || 'none'}</td>
                  <td>{inForce === undefined ? <span className="muted">not read</span> : conditionsBadge(inForce) || 'none'}{differs ? <strong className="differs-mark" title="What the hosts hold is not what the project sets: apply the conditions"> ≠ differs</strong> : null}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p className="muted small">{problem ? `Not read: ${problem}` : 'Not read yet.'}</p>
      )}
      {unread.map((u) => <p key={u.host} className="muted small">{u.host}: {u.reason}</p>)}
      {failures.length ? <Problems items={failures.map((f) => ({ severity: 'error', code: 'conditions-apply', path: '', message: `${f.host}: ${f.error ?? 'failed'}${f.mismatches?.length ? ` — ${f.mismatches.join('; ')}` : ''}` }))} /> : null}
      <div className="row">
        <button type="button" disabled={!canApply} onClick={() => void runCommand(env, 'lab.applyConditions')} title="tc on the deployed hosts only: the tunnels are not redeployed (Ctrl+Alt+C)">Apply conditions</button>
        <button type="button" onClick={() => void runCommand(env, 'lab.readConditions')}>Read back</button>
      </div>
    </div>
  );
}
