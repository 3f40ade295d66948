/**
 * Recently opened projects, kept per user in $OVERLAB_CONFIG_DIR (default
 * $XDG_CONFIG_HOME/overlab or ~/.config/overlab)/recent.json: folders and names only.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from './store/atomic.js';

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
    const list = JSON.parse(await fs.readFile(file(), 'utf8')) as Recent[];
    return Array.isArray(list) ? list.filter((r) => typeof r?.dir === 'string' && typeof r?.name === 'string').slice(0, MAX) : [];
  } catch {
    return [];
  }
}

export async function addRecent(dir: string, name: string): Promise<void> {
  const abs = path.resolve(dir);
  const list = [{ dir: abs, name, openedAt: new Date().toISOString() }, ...(await recentProjects()).filter((r) => r.dir !== abs)].slice(0, MAX);
  await fs.mkdir(configDir(), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file(), `${JSON.stringify(list, null, 1)}\n`, 0o600);
}
