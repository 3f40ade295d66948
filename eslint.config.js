// Layers are enforced here (see ../shared/STYLE.md, "Layers, enforced by lint"):
//  - src/shared imports no Node, Electron, SSH, DOM or React code: it runs everywhere.
//  - src/renderer never imports src/main, Node or Electron: it talks to the API contract only.
//  - only src/preload touches ipcRenderer; only src/main/index.ts imports electron, so the
//    engine runs under plain Node (CLI, `overlab serve`, tests).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'crypto', 'net', 'http', 'https', 'url', 'util', 'stream', 'events'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src/main/index.ts and src/preload import electron; the engine runs under plain Node.' }] }],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    // Test support (used by tests only) may import Node like the tests themselves.
    ignores: ['src/shared/**/*.test.ts', 'src/shared/tunnels/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'src/shared must run in the browser too: no Node imports.' },
            { group: ['electron', 'node-ssh', 'ssh2'], message: 'src/shared is platform-free.' },
            { group: ['react', 'react-dom', '@xyflow/*', 'zustand', 'chart.js'], message: 'src/shared has no UI code.' },
            { group: ['**/main/**', '**/renderer/**', '**/cli/**', '**/preload/**'], message: 'src/shared imports only src/shared.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'The renderer runs in a browser: no Node imports.' },
            { group: ['electron', 'node-ssh', 'ssh2'], message: 'The renderer talks to the API contract only (src/renderer/src/api).' },
            { group: ['**/main/**', '**/cli/**', '**/preload/**'], message: 'The renderer never imports the main process.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/index.ts', 'src/preload/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/main/**/*.ts', 'src/cli/**/*.ts'],
    ignores: ['src/main/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Only src/main/index.ts imports electron; the engine runs under plain Node.' }],
          patterns: [{ group: ['**/renderer/**'], message: 'The main process never imports the renderer.' }],
        },
      ],
    },
  },
);
