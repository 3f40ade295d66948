/**
 * The one host-key dialog, for every run that connects (Deploy, Teardown, Deploy & measure,
 * Measure): the keys the engine refused, each with its host, the address it was met at, its
 * type and SHA256 fingerprint.
 *
 * - Unknown keys can be accepted. The consent sent back carries exactly the fingerprint and
 *   address shown here, so a key that changes between this dialog and the reconnect is
 *   refused again instead of pinned.
 * - A changed key shows the pinned and the presented fingerprints and what to do. It has no
 *   accept button, and while any key changed nothing is accepted: the person deals with it
 *   first (Overlab never replaces a pin on a click).
 */
import type { HostKeyConsent, HostKeyReport } from '../../../shared/hostkeys';
import { checkOnHostCommand, removePinCommand } from '../../../shared/hostkeys';
import { Modal } from './Modal';

const ACCEPT_LABEL = { deploy: 'Accept and deploy', teardown: 'Accept and tear down', 'deploy-measure': 'Accept, deploy and measure', measure: 'Accept and measure', conditions: 'Accept and apply the conditions' } as const;

export function HostKeyDialog({ keys, retry, onAccept, onClose }: { keys: readonly HostKeyReport[]; retry?: keyof typeof ACCEPT_LABEL; onAccept: (accept: readonly HostKeyConsent[]) => void; onClose: () => void }) {
  const changed = keys.filter((k) => k.status === 'changed');
  const unknown = keys.filter((k) => k.status === 'unknown');
  const canAccept = !!retry && unknown.length > 0 && changed.length === 0;
  const title = changed.length ? (changed.length === 1 ? `The host key of ${changed[0]!.host} changed` : 'Host keys changed') : 'Unknown SSH host keys';
  const accept = (): void => onAccept(unknown.map((k) => ({ host: k.host, address: k.address, fingerprint: k.fingerprint })));
  return (
    <Modal
      title={title}
      onClose={onClose}
      wide
      footer={
        <div className="buttons">
          {canAccept ? (
            <>
              <button type="button" onClick={onClose}>Refuse</button>
              <button type="button" className="primary" onClick={accept}>{ACCEPT_LABEL[retry!]}</button>
            </>
          ) : (
            <button type="button" onClick={onClose}>Close</button>
          )}
        </div>
      }
    >
      {changed.map((k) => (
        <section key={`${k.host} ${k.address}`} className="hostkey-changed" aria-label={`Changed key of ${k.host}`}>
          <p className="diag error" role="alert">
            <strong>{k.host}</strong> at <code>{k.address}</code> presented a different key than the one pinned for that address. Overlab refused to connect.
          </p>
          <table className="rows" aria-label={`Host keys of ${k.host}`}>
            <thead><tr><th /><th>Type</th><th>Fingerprint</th><th>Pinned for</th></tr></thead>
            <tbody>
              {(k.pinned ?? []).map((p) => (
                <tr key={p.fingerprint} className="hostkey-old"><td className="strong">Pinned (expected)</td><td>{p.keyType}</td><td><code>{p.fingerprint}</code></td><td>{p.host ?? <span className="muted">not recorded</span>}</td></tr>
              ))}
              <tr className="hostkey-new"><td className="strong">Presented now</td><td>{k.keyType}</td><td><code>{k.fingerprint}</code></td><td /></tr>
            </tbody>
          </table>
          <ul className="hostkey-advice" aria-label={`What to do about ${k.host}`}>
            <li>If {k.host} was re-installed or its host key re-created, check the new fingerprint on the host: <code>{checkOnHostCommand(k.keyType)}</code></li>
            <li>If it matches, remove the old pin (in the project folder): <code>{removePinCommand(k.address)}</code>, and run again: the new key is then offered for you to accept.</li>
            <li>If nothing changed on the host, do not connect: someone may be between you and {k.host}.</li>
          </ul>
        </section>
      ))}
      {unknown.length ? (
        <section aria-label="Unknown host keys">
          <p>
            {unknown.length === 1 ? 'This host presented a key' : 'These hosts presented keys'} Overlab has not seen. Check each fingerprint on the host (<code>{checkOnHostCommand(new Set(unknown.map((k) => k.keyType)).size === 1 ? unknown[0]!.keyType : '')}</code>) before you accept:
            an accepted key is pinned in the project&apos;s <code>.overlab/known_hosts</code>, and only a key with exactly this fingerprint, at this address, is let in.
          </p>
          <table className="rows" aria-label="Unknown host keys">
            <thead><tr><th>Host</th><th>Address</th><th>Type</th><th>Fingerprint</th></tr></thead>
            <tbody>
              {unknown.map((k) => (
                <tr key={`${k.host} ${k.address}`}>
                  <td className="strong">{k.host}</td><td><code>{k.address}</code></td><td>{k.keyType}</td>
                  <td><code>{k.fingerprint}</code>{k.accepted ? <div className="diag warning small">not {k.accepted}, the key accepted before: it changed since, or was mistyped</div> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {changed.length ? <p className="muted small">Nothing is accepted while a host key has changed: deal with the changed key first, then run again.</p> : null}
          {!retry ? <p className="muted small">Run again to accept them.</p> : null}
        </section>
      ) : null}
    </Modal>
  );
}
