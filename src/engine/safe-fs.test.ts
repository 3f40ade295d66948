/**
 * safe-fs as a local attacker meets it: links, files and folders of another user, FIFOs, hard
 * links and oversized files where Overlab (root) reads and writes. "Another user" is a uid with
 * no account (4242): ownership is all the kernel and these checks look at. The ownership cases
 * need root (chown); the rest run as anyone.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDir, ensureRootDir, MARKER, readFile, readText, removeTree, resolvePath, TooLargeError, trustedUids, UnsafePathError, writeFile, writeMarker } from './safe-fs.js';

const root = process.getuid?.() === 0;
const OTHER = 4242;
let dir: string;
/** A file only root may read, standing for /etc/shadow. */
let secret: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-safefs-'));
  secret = path.join(dir, 'root-only');
  await fs.writeFile(secret, 'root:$6$secret-hash:19000:0:99999:7:::\n', { mode: 0o600 });
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('reading', () => {
  it('returns a file’s bytes, and undefined when it is absent', async () => {
    await fs.writeFile(path.join(dir, 'a'), 'hello');
    expect(await readText(path.join(dir, 'a'), { maxBytes: 100 })).toBe('hello');
    expect(await readText(path.join(dir, 'absent'), { maxBytes: 100 })).toBeUndefined();
    expect(await readText(path.join(dir, 'no', 'such', 'folder', 'a'), { maxBytes: 100 })).toBeUndefined();
  });

  it('refuses a link in place of the file, naming it, and reads nothing through it', async () => {
    const link = path.join(dir, 'known_hosts');
    await fs.symlink(secret, link);
    const e = await readText(link, { maxBytes: 1 << 20 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsafePathError);
    expect((e as Error).message).toContain(`${link} is a symbolic link`);
    expect((e as Error).message).not.toContain('secret-hash');
  });

  it('refuses a link as a folder on the way', async () => {
    await fs.mkdir(path.join(dir, 'real'));
    await fs.writeFile(path.join(dir, 'real', 'f'), 'x');
    await fs.symlink(path.join(dir, 'real'), path.join(dir, 'via'));
    await expect(readText(path.join(dir, 'via', 'f'), { maxBytes: 10 })).rejects.toThrow(`${path.join(dir, 'via')} is a symbolic link`);
  });

  it('does not hang on a FIFO planted in place of a file', async () => {
    const fifo = path.join(dir, 'lab.json');
    execFileSync('mkfifo', [fifo]);
    await expect(readText(fifo, { maxBytes: 10 })).rejects.toThrow('is not a regular file');
  });

  it('refuses a file larger than the reader takes, before reading it', async () => {
    const big = path.join(dir, 'overlab.yaml');
    await fs.writeFile(big, Buffer.alloc(2048, 0x61));
    const e = await readFile(big, { maxBytes: 1024 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TooLargeError);
    expect((e as Error).message).toMatch(/is 2 KiB, more than the 1 KiB/);
  });

  it('refuses a hard link (it may be another file of the machine under a project name)', async () => {
    await fs.link(secret, path.join(dir, 'hard'));
    await expect(readText(path.join(dir, 'hard'), { maxBytes: 1 << 20 })).rejects.toThrow('has other hard links');
  });

  it.skipIf(!root)('refuses a file another user owns, and a folder on the way another user owns or anyone can write', async () => {
    const planted = path.join(dir, 'planted');
    await fs.writeFile(planted, 'key');
    await fs.chown(planted, OTHER, OTHER);
    await expect(readText(planted, { maxBytes: 10 })).rejects.toThrow(`${planted} is owned by uid ${OTHER}, not by root or by you`);

    const theirs = path.join(dir, 'theirs');
    await fs.mkdir(theirs);
    await fs.writeFile(path.join(theirs, 'f'), 'x');
    await fs.chown(theirs, OTHER, OTHER);
    await expect(readText(path.join(theirs, 'f'), { maxBytes: 10 })).rejects.toThrow(`${theirs} is owned by uid ${OTHER}`);

    const open = path.join(dir, 'open');
    await fs.mkdir(open);
    await fs.writeFile(path.join(open, 'f'), 'x');
    await fs.chmod(open, 0o777);
    await expect(readText(path.join(open, 'f'), { maxBytes: 10 })).rejects.toThrow(`${open} can be written by every user`);
  });
});

describe('writing', () => {
  it('writes atomically with the mode asked, whatever the umask', async () => {
    const f = path.join(dir, 'f');
    await writeFile(f, 'one', { mode: 0o600 });
    await writeFile(f, 'two', { mode: 0o640 });
    expect(await fs.readFile(f, 'utf8')).toBe('two');
    expect((await fs.stat(f)).mode & 0o777).toBe(0o640);
    expect((await fs.readdir(dir)).sort()).toEqual(['f', 'root-only']);
  });

  it('never writes through a link at the target: it refuses, and the link’s target is untouched', async () => {
    const link = path.join(dir, 'known_hosts');
    await fs.symlink(secret, link);
    await expect(writeFile(link, 'attacker\n', { mode: 0o644 })).rejects.toThrow(`${link} is a symbolic link`);
    expect(await fs.readFile(secret, 'utf8')).toContain('secret-hash');
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
  });

  it('never writes through a linked folder on the way, nor makes folders through one', async () => {
    const target = path.join(dir, 'elsewhere');
    await fs.mkdir(target);
    await fs.symlink(target, path.join(dir, 'out'));
    await expect(writeFile(path.join(dir, 'out', 'report.pdf'), 'x', { mode: 0o644 })).rejects.toThrow('is a symbolic link');
    await expect(ensureDir(path.join(dir, 'out', 'a', 'b'), 0o755)).rejects.toThrow('is a symbolic link');
    expect(await fs.readdir(target)).toEqual([]);
  });

  it('replaces an existing file only when the caller recognises it as its own', async () => {
    const f = path.join(dir, 'report.pdf');
    await fs.writeFile(f, 'my thesis');
    await expect(writeFile(f, '%PDF-new', { mode: 0o644, replaceIf: (head) => head.toString().startsWith('%PDF-'), notOurs: 'pick another name' })).rejects.toThrow(`${f} exists and was not written by Overlab`);
    expect(await fs.readFile(f, 'utf8')).toBe('my thesis');
    await fs.writeFile(f, '%PDF-old');
    await writeFile(f, '%PDF-new', { mode: 0o644, replaceIf: (head) => head.toString().startsWith('%PDF-') });
    expect(await fs.readFile(f, 'utf8')).toBe('%PDF-new');
  });

  it.skipIf(!root)('refuses to replace a file another user owns, even in a shared sticky folder', async () => {
    const shared = path.join(dir, 'shared');
    await fs.mkdir(shared);
    await fs.chmod(shared, 0o1777);
    const f = path.join(shared, 'report.pdf');
    await fs.writeFile(f, 'theirs');
    await fs.chown(f, OTHER, OTHER);
    await expect(writeFile(f, 'ours', { mode: 0o644 })).rejects.toThrow(`is owned by uid ${OTHER}`);
    expect(await fs.readFile(f, 'utf8')).toBe('theirs');
    // A new file in the same sticky folder is fine (made with O_EXCL, renamed into place).
    await writeFile(path.join(shared, 'new.pdf'), 'ours', { mode: 0o644 });
    expect(await fs.readFile(path.join(shared, 'new.pdf'), 'utf8')).toBe('ours');
  });
});

describe('folders', () => {
  it('makes the missing folders with the mode asked and checks the ones there', async () => {
    const d = path.join(dir, 'a', 'b');
    await ensureDir(d, 0o700);
    expect((await fs.stat(d)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(dir, 'a'))).mode & 0o777).toBe(0o700);
  });

  it('removes a folder tree only when Overlab’s marker says it made it', async () => {
    const mine = path.join(dir, 'mine');
    await fs.mkdir(mine);
    await fs.writeFile(path.join(mine, 'up.sh'), 'x');
    await writeMarker(mine, 'overlab render');
    await removeTree(mine, 'overlab render');
    await expect(fs.stat(mine)).rejects.toThrow();

    const theirs = path.join(dir, 'theirs');
    await fs.mkdir(theirs);
    await fs.writeFile(path.join(theirs, 'thesis.tex'), 'x');
    await expect(removeTree(theirs, 'overlab render')).rejects.toThrow(`${theirs} exists and was not written by overlab render`);
    expect(await fs.readdir(theirs)).toEqual(['thesis.tex']);
  });

  it('removes neither a link in place of the folder nor what it points at', async () => {
    const target = path.join(dir, 'precious');
    await fs.mkdir(target);
    await fs.writeFile(path.join(target, MARKER), 'planted marker');
    await fs.writeFile(path.join(target, 'data'), 'x');
    await fs.symlink(target, path.join(dir, 'host'));
    await expect(removeTree(path.join(dir, 'host'), 'overlab render')).rejects.toThrow('is a symbolic link');
    expect((await fs.readdir(target)).sort()).toEqual([MARKER, 'data']);
  });

  it('follows a link root made to name a folder, and refuses one another user made, even the sudo user', async () => {
    await fs.mkdir(path.join(dir, 'projects'));
    await fs.symlink(path.join(dir, 'projects'), path.join(dir, 'p'));
    expect(await resolvePath(path.join(dir, 'p', 'demo'))).toBe(path.join(dir, 'projects', 'demo'));
    if (root) {
      await fs.symlink('/etc', path.join(dir, 'evil'));
      execFileSync('chown', ['-h', `${OTHER}:${OTHER}`, path.join(dir, 'evil')]);
      await expect(resolvePath(path.join(dir, 'evil', 'cron.d', 'x'))).rejects.toThrow(`${path.join(dir, 'evil')} is a symbolic link made by uid ${OTHER}`);
      // Nor one of the sudo user's: root trusts their files, never where their links point.
      const before = process.env.SUDO_UID;
      process.env.SUDO_UID = String(OTHER);
      try {
        await expect(resolvePath(path.join(dir, 'evil', 'cron.d', 'x'))).rejects.toThrow('is a symbolic link made by uid');
      } finally {
        if (before === undefined) delete process.env.SUDO_UID;
        else process.env.SUDO_UID = before;
      }
    }
  });
});

describe.skipIf(!root)('root-only state folders', () => {
  it('makes one owned by root with the exact mode, and accepts it again as found', async () => {
    const d = path.join(dir, 'state');
    await ensureRootDir(d, 0o700);
    await ensureRootDir(d, 0o700);
    const st = await fs.lstat(d);
    expect([st.uid, st.mode & 0o7777]).toEqual([0, 0o700]);
  });

  it('refuses one another user made first, a link, or a looser mode — and leaves it as it was', async () => {
    const planted = path.join(dir, 'theirs');
    await fs.mkdir(planted, { mode: 0o700 });
    await fs.chown(planted, OTHER, OTHER);
    await expect(ensureRootDir(planted)).rejects.toThrow(`${planted} is owned by uid ${OTHER}, not by root`);

    const link = path.join(dir, 'link');
    await fs.mkdir(path.join(dir, 'target'), { mode: 0o700 });
    await fs.symlink(path.join(dir, 'target'), link);
    await expect(ensureRootDir(link)).rejects.toThrow(`${link} is not a folder Overlab made`);

    const loose = path.join(dir, 'loose');
    await fs.mkdir(loose);
    await fs.chmod(loose, 0o755);
    await expect(ensureRootDir(loose)).rejects.toThrow(`${loose} has mode 0755, not 0700`);
    expect((await fs.lstat(loose)).mode & 0o7777).toBe(0o755);
  });
});

describe('who is trusted', () => {
  it('is root and this process’s user, plus the sudo/pkexec user only when this process is root', () => {
    const before = process.env.SUDO_UID;
    process.env.SUDO_UID = '1234';
    try {
      const t = trustedUids();
      expect(t.has(0)).toBe(true);
      expect(t.has(process.getuid?.() ?? 0)).toBe(true);
      expect(t.has(1234)).toBe(root);
      process.env.SUDO_UID = '12; rm -rf /';
      expect(trustedUids().has(12)).toBe(false);
    } finally {
      if (before === undefined) delete process.env.SUDO_UID;
      else process.env.SUDO_UID = before;
    }
  });
});
