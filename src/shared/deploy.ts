/**
 * What a deploy or teardown run reports, per host. The engine produces it (src/engine/deploy),
 * every door shows it: the CLI prints it (`--json` as is), the UI paints each host's state.
 */
import type { Diagnostic } from './diagnostics.js';
import type { HostKeyReport } from './hostkeys.js';

/**
 * - `unchanged`: the bundle already deployed is the same (it was re-applied: up.sh is idempotent);
 * - `applied`: a new bundle is up and verified;
 * - `would-change`: `--dry-run`: a new bundle would be applied (`changes` says what);
 * - `failed`: `failedStep` and `error` say where and why;
 * - `rolled-back`: this host's new bundle was taken down again (and any earlier one restored)
 *   because another host failed;
 * - `removed` / `absent`: teardown took a bundle down / found none;
 * - `unknown`: the host stopped answering, or its connection was lost, during a step that changes
 *   it (apply, verify, rollback, down): nobody knows how far that step got. `failedStep` and
 *   `error` say when; the host needs checking, then another deploy or teardown.
 */
export type HostStatus = 'unchanged' | 'applied' | 'would-change' | 'failed' | 'rolled-back' | 'removed' | 'absent' | 'unknown';

/** The host's step failed, or its state is unknown: the run did not do what it was asked there. */
export const hostFailed = (h: { readonly status: HostStatus }): boolean => h.status === 'failed' || h.status === 'unknown';

export interface HostResult {
  /** The host's name (as in the document when the run started). */
  readonly host: string;
  /** The host's stable id. */
  readonly hostId: string;
  status: HostStatus;
  /** The step that failed, and what it printed (redacted: never a secret). */
  failedStep?: string;
  error?: string;
  /** A failed host whose changes were taken back (its new bundle down, the one it replaced up again). */
  rolledBack?: boolean;
  /** For --dry-run: what would change. */
  changes?: string[];
  /**
   * The host's SSH key when it was refused: `unknown` (accept it after checking its fingerprint
   * on the host) or `changed` (refused: the host was re-installed, or someone is in between).
   */
  hostKey?: HostKeyReport;
  /** SHA-256 of the bundle now deployed on the host (absent when none is). */
  bundleHash?: string;
  /** Milliseconds per step (connect, preflight, upload, apply, verify, down). */
  readonly timings: Record<string, number>;
}

export interface DeployRun {
  readonly ok: boolean;
  readonly hosts: readonly HostResult[];
  readonly diagnostics: readonly Diagnostic[];
  readonly durationMs: number;
  /** Wall time of each phase of the run, in ms: every host connected and checked, every host applied, every host verified. */
  readonly phases?: Readonly<Partial<Record<'check' | 'apply' | 'verify', number>>>;
}
