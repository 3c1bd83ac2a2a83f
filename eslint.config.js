// One lint gate: type-aware rules that catch dropped promises, plus the layering rules of
// docs/architecture.md (dependencies flow one way; only daemon/ wires things together).
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * The import table of docs/architecture.md ("Dependency rules"), as an allowlist: a folder of
 * src/ may import only the folders listed for it (and its own files). The root files
 * (contract.ts, version.ts) belong to no layer: everyone may import them. Unit tests beside the
 * code are not held to it.
 */
const LAYERS = {
  config: [],
  store: [],
  instance: [],
  net: [],
  'demo-agent': [],
  sessions: ['config', 'instance', 'store'],
  router: ['store'],
  channels: ['router'],
  scheduler: ['config', 'store'],
  usage: ['config', 'store'],
  tools: ['config', 'scheduler', 'store'],
  api: ['config', 'scheduler', 'sessions', 'store'],
  ops: ['config', 'net', 'sessions', 'store'],
  cli: ['config', 'instance', 'net', 'ops', 'sessions', 'daemon'],
  daemon: [
    'api',
    'channels',
    'config',
    'instance',
    'net',
    'ops',
    'router',
    'scheduler',
    'sessions',
    'store',
    'tools',
    'usage',
  ],
};

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/**', '**/node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: './tsconfig.json' } },
      'boundaries/elements': [
        ...Object.keys(LAYERS).map((type) => ({ type, partialMatch: false, pattern: `src/${type}/**` })),
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            ...Object.entries(LAYERS).map(([type, allowed]) => ({
              from: { element: { type } },
              allow: { to: { element: { types: { anyOf: [type, ...allowed] } } } },
            })),
          ],
        },
      ],
    },
  },
  {
    // Finer than the table: the CLI may reach the daemon only through daemon/main.js, to run
    // `daemon start --foreground` in-process.
    files: ['src/cli/**/*.ts'],
    rules: restrict([
      {
        group: ['**/daemon/*', '!**/daemon/main.js'],
        message: 'the CLI may only import daemon/main.js (to run in the foreground)',
      },
    ]),
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
