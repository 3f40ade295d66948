// Layers are enforced here (see ../shared/STYLE.md, "Layers, enforced by lint"):
//  - src/shared imports no Node, Electron, SSH, DOM or React code: it runs everywhere.
//  - src/engine (the plain-Node services) imports no electron, and neither it nor src/shared
//    imports src/main, src/cli, src/preload or src/renderer: every door sits on top of them.
//  - src/renderer never imports src/main, src/engine, Node or Electron: it talks to the API
//    contract only.
//  - only src/preload touches ipcRenderer; only src/main (the Electron main process) and
//    src/preload import electron, so the engine runs under plain Node (CLI, `overlab serve`, tests).
// tests/lint/layers.test.ts proves each rule fails on a deliberate violation.
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
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src/main and src/preload import electron; the engine runs under plain Node.' }] }],
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
            { group: ['**/main/**', '**/engine/**', '**/renderer/**', '**/cli/**', '**/preload/**'], message: 'src/shared imports only src/shared.' },
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
            { group: ['**/main/**', '**/engine/**', '**/cli/**', '**/preload/**'], message: 'The renderer never imports the main process or the engine: it calls the API contract.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'src/engine runs under plain Node (CLI, overlab serve, tests): no electron; the Electron door is src/main.' }],
          patterns: [
            { group: ['electron/*'], message: 'src/engine runs under plain Node: no electron.' },
            { group: ['**/main/**', '**/cli/**', '**/renderer/**', '**/preload/**'], message: 'src/engine sits below every door: it never imports src/main, src/cli, src/preload or src/renderer.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts', 'src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/renderer/**', '**/cli/**'], message: 'The Electron main process and preload never import the renderer or the CLI.' }] },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The CLI runs under plain Node: no electron.' }],
          patterns: [{ group: ['**/renderer/**', '**/main/**', '**/preload/**'], message: 'The CLI calls the engine; it never imports the Electron main process or the renderer.' }],
        },
      ],
    },
  },
);
