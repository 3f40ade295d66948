/** The inspector's fields: a label, the control, a hint, and the validator's messages for that path under it. */
import { useState, type ReactNode } from 'react';
import type { Diagnostic } from '../../../shared/diagnostics';

export function Problems({ items }: { items: readonly Diagnostic[] | undefined }) {
  if (!items?.length) return null;
  return (
    <ul className="field-problems">
      {items.map((d, i) => (
        <li key={i} className={`diag ${d.severity}`} role={d.severity === 'error' ? 'alert' : undefined}>
          {d.message}
        </li>
      ))}
    </ul>
  );
}

export function Field({ label, children, problems, hint }: { label: string; children: ReactNode; problems?: readonly Diagnostic[]; hint?: ReactNode }) {
  return (
    <label className={`field${problems?.some((d) => d.severity === 'error') ? ' invalid' : ''}`}>
      <span className="field-label">{label}</span>
      {children}
      {hint ? <span className="field-hint">{hint}</span> : null}
      <Problems items={problems} />
    </label>
  );
}

/** A text input that commits on Enter or blur; Escape puts the document's value back. */
export function TextInput({ value, onCommit, label, placeholder, disabled, type = 'text' }: { value: string; onCommit: (v: string) => void; label: string; placeholder?: string; disabled?: boolean; type?: 'text' | 'number' }) {
  const [draft, setDraft] = useState(value);
  const [from, setFrom] = useState(value);
  if (from !== value) {
    // The document changed under the field (undo, another edit): show its value.
    setFrom(value);
    setDraft(value);
  }
  const commit = (): void => {
    if (draft !== value) onCommit(draft);
  };
  return (
    <input
      aria-label={label}
      type={type}
      value={draft}
      placeholder={placeholder}
      disabled={disabled}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') setDraft(value);
      }}
    />
  );
}
