/**
 * Recently opened projects, kept per user in $OVERLAB_CONFIG_DIR (default
 * $XDG_CONFIG_HOME/overlab or ~/.config/overlab)/recent.json: folders and names only.
 */
import os from 'node:os';
import path from 'node:path';
import { ensureDir, readText, writeFile } from './safe-fs.js';

export interface Recent {
  readonly dir: string;
  readonly name: string;
  readonly openedAt: string;
}

const MAX = 12;

export const configDir = (): string => process.env.OVERLAB_CONFIG_DIR ?? path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'overlab');
const file = (): string => path.join(configDir(), 'recent.json');

export async function recentProjects(): Promise<Recent[]> {
  try {
    const list = JSON.parse((await readText(file(), { maxBytes: 1 << 20 })) ?? '[]') as Recent[];
    return Array.isArray(list) ? list.filter((r) => typeof r?.dir === 'string' && typeof r?.name === 'string').slice(0, MAX) : [];
  } catch {
    return [];
  }
}

export async function addRecent(dir: string, name: string): Promise<void> {
  const abs = path.resolve(dir);
  const list = [{ dir: abs, name, openedAt: new Date().toISOString() }, ...(await recentProjects()).filter((r) => r.dir !== abs)].slice(0, MAX);
  await ensureDir(configDir(), 0o700);
  await writeFile(file(), `${JSON.stringify(list, null, 1)}\n`, { mode: 0o600 });
}
