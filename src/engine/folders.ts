/**
 * Folder listings for the browser's Open and Save as: a page cannot name a local folder
 * itself, so the engine lists folders (never files, never their contents) for the person at the
 * UI, who already has the engine's session token. Hidden folders are left out.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FolderListing } from '../shared/api.js';
import { PROJECT_FILE } from '../shared/document.js';
import { ApiError } from './api-error.js';

export async function listFolders(dir: string | undefined): Promise<FolderListing> {
  const at = path.resolve(dir ?? os.homedir());
  let entries;
  try {
    entries = await fs.readdir(at, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ApiError('invalid-arguments', code === 'ENOENT' ? `${at} does not exist` : code === 'ENOTDIR' ? `${at} is not a folder` : code === 'EACCES' ? `${at}: permission denied` : `${at} cannot be listed (${code ?? 'error'})`);
  }
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort((a, b) => a.localeCompare(b));
  const out = await Promise.all(
    folders.map(async (name) => {
      const p = path.join(at, name);
      const isProject = await fs.stat(path.join(p, PROJECT_FILE)).then((s) => s.isFile(), () => false);
      return { name, path: p, isProject };
    }),
  );
  const parent = path.dirname(at);
  return { path: at, ...(parent !== at ? { parent } : {}), entries: out };
}
