/**
 * The layer rules of eslint.config.js, proved to fail on a deliberate violation (and to pass
 * the same code where it is allowed): ESLint's own API lints a text as if it sat at a path.
 */
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd });

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return (r?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    ['src/engine/x.ts', "import { app } from 'electron';\nexport const a = app;\n", 'src/engine runs under plain Node'],
    ['src/engine/x.ts', "import { startServe } from '../cli/commands/serve.js';\nexport const a = startServe;\n", 'src/engine sits below every door'],
    ['src/engine/deploy/x.ts', "import { App } from '../../renderer/src/App';\nexport const a = App;\n", 'src/engine sits below every door'],
    ['src/engine/x.ts', "import { isTrustedSenderUrl } from '../main/trust.js';\nexport const a = isTrustedSenderUrl;\n", 'src/engine sits below every door'],
    ['src/shared/x.ts', "import { deploy } from '../engine/deploy/deploy.js';\nexport const a = deploy;\n", 'src/shared imports only src/shared'],
    ['src/shared/x.ts', "import { promises } from 'node:fs';\nexport const a = promises;\n", 'src/shared must run in the browser too'],
    ['src/renderer/src/x.ts', "import { createEngine } from '../../engine/engine.js';\nexport const a = createEngine;\n", 'The renderer never imports the main process or the engine'],
    ['src/cli/x.ts', "import { BrowserWindow } from 'electron';\nexport const a = BrowserWindow;\n", 'The CLI runs under plain Node'],
  ])('%s: refuses %j', async (filePath, code, message) => {
    const errors = await layerErrors(filePath, code);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toContain(message);
  });

  it.each([
    ['src/main/x.ts', "import { app } from 'electron';\nimport { createEngine } from '../engine/engine.js';\nexport const a = [app, createEngine];\n"],
    ['src/cli/x.ts', "import { createEngine } from '../engine/engine.js';\nexport const a = createEngine;\n"],
    ['src/engine/x.ts', "import { plan } from '../shared/plan.js';\nimport { promises } from 'node:fs';\nexport const a = [plan, promises];\n"],
  ])('%s: allows what its layer may import', async (filePath, code) => {
    expect(await layerErrors(filePath, code)).toEqual([]);
  });
});
