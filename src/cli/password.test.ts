/**
 * The password prompt. The terminal is the boundary that cannot run here: a fake TTY (an
 * EventEmitter with setRawMode) stands in for it, and records raw mode and echo.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { passwordSource, readHidden } from './password.js';

class FakeTty extends EventEmitter {
  isTTY = true;
  raw: boolean[] = [];
  setRawMode(m: boolean): void {
    this.raw.push(m);
  }
  resume(): void {}
  pause(): void {}
  type(s: string): void {
    this.emit('data', Buffer.from(s));
  }
}

describe('readHidden', () => {
  it('reads a line in raw mode, echoes nothing of it, handles backspace and multibyte input', async () => {
    const tty = new FakeTty();
    let shown = '';
    const p = readHidden(tty, (s) => (shown += s), 'Password: ');
    tty.type('sé');
    tty.type('cx\u007fret\r');
    expect(await p).toBe('sécret');
    expect(shown).toBe('Password: \n');
    expect(tty.raw).toEqual([true, false]);
    expect(tty.listenerCount('data')).toBe(0);
  });

  it('gives undefined on Ctrl-C and leaves raw mode', async () => {
    const tty = new FakeTty();
    const p = readHidden(tty, () => undefined, 'Password: ');
    tty.type('abc\u0003');
    expect(await p).toBeUndefined();
    expect(tty.raw).toEqual([true, false]);
  });
});

describe('passwordSource', () => {
  it('prefers OVERLAB_SSH_PASSWORD and never prompts then', async () => {
    const tty = new FakeTty();
    const src = passwordSource({ OVERLAB_SSH_PASSWORD: 'from-env' }, tty, () => undefined);
    expect(await src('a', 'root@x')).toBe('from-env');
    expect(tty.raw).toEqual([]);
  });

  it('gives nothing without a terminal (the connect error then says how to give one)', async () => {
    const tty = new FakeTty();
    tty.isTTY = false;
    expect(await passwordSource({}, tty, () => undefined)('a', 'root@x')).toBeUndefined();
  });

  it('asks once per login, one prompt at a time, even when hosts ask together', async () => {
    const tty = new FakeTty();
    const prompts: string[] = [];
    const src = passwordSource({}, tty, (s) => s.startsWith('Password') && prompts.push(s));
    const a = src('a', 'root@10.0.0.1');
    const b = src('b', 'root@10.0.0.2');
    const a2 = src('a-again', 'root@10.0.0.1');
    await new Promise((r) => setImmediate(r));
    expect(prompts).toEqual(['Password for root@10.0.0.1 (a): ']);
    tty.type('one\n');
    await new Promise((r) => setImmediate(r));
    expect(prompts).toEqual(['Password for root@10.0.0.1 (a): ', 'Password for root@10.0.0.2 (b): ']);
    tty.type('two\n');
    expect([await a, await b, await a2]).toEqual(['one', 'two', 'one']);
  });
});
