/**
 * The atomic write of a project file, through safe-fs (no link followed, the folders on the way
 * checked, the temporary file made exclusively): kept as the name the stores have used.
 */
import { writeFile } from '../safe-fs.js';

/** Test seam: lets a test fail the write between the temp file and the rename, as a crash would. */
export interface AtomicWriteHooks {
  readonly beforeRename?: (tempPath: string) => void | Promise<void>;
}

/**
 * Writes `data` to `file` so that readers see the old content or the new, never a mix:
 * temp file in the same directory, fsync, rename over the target, fsync the directory.
 * On failure the temp file is removed and the target is untouched.
 */
export const writeFileAtomic = (file: string, data: string | Uint8Array, mode = 0o644, hooks: AtomicWriteHooks = {}): Promise<void> =>
  writeFile(file, data, { mode, ...(hooks.beforeRename ? { beforeRename: hooks.beforeRename } : {}) });
