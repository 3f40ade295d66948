/**
 * SSH login passwords for hosts whose target says `password: true`: OVERLAB_SSH_PASSWORD when
 * set, else asked on the terminal without echo — once per user@address, one prompt at a time
 * (hosts connect in parallel). Never stored, never printed.
 */
export type PasswordSource = (host: string, login: string) => Promise<string | undefined>;

interface Tty {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: 'data', listener: (d: Buffer) => void): unknown;
  off(event: 'data', listener: (d: Buffer) => void): unknown;
}

/** Reads one line from a raw-mode terminal, echoing nothing. Ctrl-C or Ctrl-D gives undefined. */
export function readHidden(input: Tty, write: (s: string) => void, question: string): Promise<string | undefined> {
  write(question);
  input.setRawMode?.(true);
  input.resume();
  return new Promise((resolve) => {
    let buf = '';
    const finish = (v: string | undefined): void => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      write('\n');
      resolve(v);
    };
    const onData = (d: Buffer): void => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(buf);
        if (ch === '\u0003' || ch === '\u0004') return finish(undefined);
        if (ch === '\u007f' || ch === '\b') buf = [...buf].slice(0, -1).join('');
        else if (ch >= ' ') buf += ch;
      }
    };
    input.on('data', onData);
  });
}

export function passwordSource(env: NodeJS.ProcessEnv, input: Tty, write: (s: string) => void): PasswordSource {
  const known = new Map<string, Promise<string | undefined>>();
  let queue: Promise<unknown> = Promise.resolve();
  return (host, login) => {
    if (env.OVERLAB_SSH_PASSWORD !== undefined) return Promise.resolve(env.OVERLAB_SSH_PASSWORD);
    if (!input.isTTY) return Promise.resolve(undefined);
    let p = known.get(login);
    if (!p) {
      p = queue.then(() => readHidden(input, write, `Password for ${login} (${host}): `));
      queue = p;
      known.set(login, p);
    }
    return p;
  };
}
