/**
 * What CI makes of Electronegativity's findings (scripts/electronegativity.ts runs the tool).
 * The tool exits 0 whatever it finds, so the verdict is ours: every HIGH or MEDIUM finding fails
 * the run unless a line of the reviewed allow-list (scripts/electronegativity-allow.txt) names
 * its check and file and says why it is acceptable; LOW and INFORMATIONAL findings are printed
 * for review. An allow-list line that matches no finding fails too, so the list never keeps an
 * excuse for something that is gone. Pure: no tool, no files.
 */

/** One finding, with the fields the tool's CSV output has. */
export interface Finding {
  /** The check, e.g. `CONTEXT_ISOLATION_JS_CHECK`. */
  readonly id: string;
  /** HIGH, MEDIUM, LOW or INFORMATIONAL, as the tool reports it. */
  readonly severity: string;
  /** CERTAIN, FIRM or TENTATIVE, as the tool reports it. */
  readonly confidence: string;
  /** Relative to the scanned folder; `N/A` for a finding about the whole app (a global check). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly description: string;
}

/** One reviewed exception: a check in a file (a `*` in the file stands for any characters but `/`: hashed bundle names). */
export interface AllowEntry {
  readonly id: string;
  readonly file: string;
  readonly reason: string;
  /** Line of the allow-list file, for messages. */
  readonly at: number;
}

export const FAILING_SEVERITIES: ReadonlySet<string> = new Set(['HIGH', 'MEDIUM']);

/** Parses the allow-list: `CHECK_ID FILE reason…` per line, `#` comments and blank lines ignored. Problems name the line. */
export function parseAllowList(text: string, name = 'the allow-list'): { entries: AllowEntry[]; problems: string[] } {
  const entries: AllowEntry[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) {
      problems.push(`${name}:${i + 1}: write CHECK_ID FILE REASON (the reason says why the finding is acceptable)`);
      return;
    }
    const [, id, file, reason] = m as unknown as [string, string, string, string];
    if (!/^[A-Z0-9_]+$/.test(id)) problems.push(`${name}:${i + 1}: ${JSON.stringify(id)} is not a check id (e.g. CONTEXT_ISOLATION_JS_CHECK)`);
    else if (reason.trim().length < 10) problems.push(`${name}:${i + 1}: ${id} ${file} needs a reason: why is this finding acceptable?`);
    else entries.push({ id, file, reason: reason.trim(), at: i + 1 });
  });
  return { entries, problems };
}

const globToRegExp = (glob: string): RegExp => new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);

export const allows = (entry: AllowEntry, f: Finding): boolean => entry.id === f.id && globToRegExp(entry.file).test(f.file);

export interface Verdict {
  /** HIGH/MEDIUM findings no entry allows: the run fails. */
  readonly failing: readonly Finding[];
  /** HIGH/MEDIUM findings an entry allows, with it. */
  readonly allowed: readonly { readonly finding: Finding; readonly entry: AllowEntry }[];
  /** LOW/INFORMATIONAL findings: printed for review. */
  readonly review: readonly Finding[];
  /** Entries that allow no finding: the run fails (remove them). */
  readonly stale: readonly AllowEntry[];
  readonly ok: boolean;
}

export function verdict(findings: readonly Finding[], entries: readonly AllowEntry[]): Verdict {
  const failing: Finding[] = [];
  const allowed: { finding: Finding; entry: AllowEntry }[] = [];
  const review: Finding[] = [];
  const used = new Set<AllowEntry>();
  for (const f of findings) {
    if (!FAILING_SEVERITIES.has(f.severity.toUpperCase())) {
      review.push(f);
      continue;
    }
    const entry = entries.find((e) => allows(e, f));
    if (entry) {
      used.add(entry);
      allowed.push({ finding: f, entry });
    } else failing.push(f);
  }
  const stale = entries.filter((e) => !used.has(e));
  return { failing, allowed, review, stale, ok: failing.length === 0 && stale.length === 0 };
}

/** Findings per check, as `CHECK_ID SEVERITY/CONFIDENCE: n`, sorted: the figures CI prints. */
export function countsPerCheck(findings: readonly Finding[]): string[] {
  const counts = new Map<string, number>();
  for (const f of findings) {
    const key = `${f.id} ${f.severity}/${f.confidence}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, n]) => `${k}: ${n}`);
}

export const describeFinding = (f: Finding): string => `${f.severity}/${f.confidence} ${f.id} ${f.file}${f.file === 'N/A' ? '' : `:${f.line}:${f.column}`} — ${f.description}`;
