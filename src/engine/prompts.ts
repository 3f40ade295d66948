/**
 * Questions for the person at a door that has no terminal (the browser, the desktop app): the
 * engine emits a `prompt` event and waits for `prompt.answer`. Used for SSH login passwords,
 * which are handed to that login only and never stored or logged.
 */
import { randomBytes } from 'node:crypto';
import type { OverlabEvents, PromptEvent } from '../shared/api.js';

type Emit = <E extends keyof OverlabEvents>(event: E, payload: OverlabEvents[E]) => void;

/** How long a question waits for its answer. */
const WAIT_MS = 5 * 60_000;

export class Prompts {
  private readonly waiting = new Map<string, (value: string | undefined) => void>();
  /** The questions of `waiting`, as their events said them: a page that missed an event re-reads them. */
  private readonly questions = new Map<string, PromptEvent>();
  /** One question per login, asked once: hosts connect in parallel. */
  private readonly asked = new Map<string, Promise<string | undefined>>();

  constructor(private readonly emit: Emit | undefined) {}

  password(host: string, login: string): Promise<string | undefined> {
    const known = this.asked.get(login);
    if (known) return known;
    const p = new Promise<string | undefined>((resolve) => {
      const promptId = randomBytes(8).toString('hex');
      const timer = setTimeout(() => this.answer(promptId, undefined), WAIT_MS);
      timer.unref();
      this.waiting.set(promptId, (v) => {
        clearTimeout(timer);
        this.questions.delete(promptId);
        resolve(v);
      });
      const question: PromptEvent = { promptId, kind: 'password', host, login, message: `Password for ${login} (host ${host})` };
      this.questions.set(promptId, question);
      this.emit?.('prompt', question);
    });
    this.asked.set(login, p);
    // One answer serves the hosts of one run that share the login, then it is forgotten: a
    // refused question, or the next run, asks again.
    void p.then((v) => {
      if (v === undefined) this.asked.delete(login);
      else setTimeout(() => this.asked.delete(login), 60_000).unref();
    });
    return p;
  }

  /** The questions waiting for an answer, oldest first. */
  pending(): PromptEvent[] {
    return [...this.questions.values()];
  }

  /** False when no such question is waiting (answered already, or timed out). */
  answer(promptId: string, value: string | undefined): boolean {
    const resolve = this.waiting.get(promptId);
    if (!resolve) return false;
    this.waiting.delete(promptId);
    resolve(value);
    return true;
  }
}
