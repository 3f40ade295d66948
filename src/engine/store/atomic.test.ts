import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-atomic-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates a file with the given content and mode, whatever the umask', async () => {
    const file = path.join(dir, 'f.txt');
    await writeFileAtomic(file, 'hello\n', 0o600);
    expect(await fs.readFile(file, 'utf8')).toBe('hello\n');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await writeFileAtomic(file, 'public\n', 0o644);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o644);
  });

  it('replaces an existing file and leaves nothing else in the folder', async () => {
    const file = path.join(dir, 'f.txt');
    await fs.writeFile(file, 'old');
    await writeFileAtomic(file, new Uint8Array([0x6e, 0x65, 0x77]));
    expect(await fs.readFile(file, 'utf8')).toBe('new');
    expect(await fs.readdir(dir)).toEqual(['f.txt']);
  });

  it('writes the new content to a temp file beside the target before the rename', async () => {
    const file = path.join(dir, 'f.txt');
    let seen: { dir: string; content: string } | undefined;
    await writeFileAtomic(file, 'new', 0o644, {
      beforeRename: async (temp) => {
        seen = { dir: path.dirname(temp), content: await fs.readFile(temp, 'utf8') };
        // The target does not exist yet: the rename is what makes it appear.
        await expect(fs.access(file)).rejects.toThrow();
      },
    });
    expect(seen).toEqual({ dir, content: 'new' });
  });

  it('leaves the old file byte-identical and removes the temp file when it fails before the rename', async () => {
    const file = path.join(dir, 'f.txt');
    const old = Buffer.from([0, 1, 2, 255, 10]);
    await fs.writeFile(file, old);
    let temp = '';
    const failure = writeFileAtomic(file, 'new content', 0o644, {
      beforeRename: (t) => {
        temp = t;
        throw new Error('power cut');
      },
    });
    await expect(failure).rejects.toThrow('power cut');
    expect(temp).not.toBe('');
    expect(await fs.readFile(file)).toEqual(old);
    expect(await fs.readdir(dir)).toEqual(['f.txt']);
  });

  it('fails without creating anything when the folder does not exist', async () => {
    await expect(writeFileAtomic(path.join(dir, 'missing', 'f.txt'), 'x')).rejects.toThrow();
    expect(await fs.readdir(dir)).toEqual([]);
  });
});
