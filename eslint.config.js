// One lint gate: type-aware rules that catch dropped promises, plus the layering rules of
// docs/architecture.md (dependencies flow one way; only daemon/ wires things together).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const layer = (group, message) => ({ group, message });

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
    ignores: ['src/daemon/**', 'src/cli/**'],
    rules: restrict([
      layer(
        ['**/daemon/*', '../daemon/*'],
        'only the CLI may start the daemon; nothing else imports daemon/',
      ),
      layer(['**/cli/*', '../cli/*', '../../cli/*'], 'nothing imports the CLI'),
      layer(
        ['**/api/*', '../api/*'],
        'the API is wired by daemon/main.ts; shared types live in src/contract.ts',
      ),
    ]),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: restrict([
      layer(
        ['**/api/*'],
        'the CLI talks to the daemon over its socket; shared types live in src/contract.ts',
      ),
      {
        group: ['**/daemon/*', '!**/daemon/main.js'],
        message: 'the CLI may only import daemon/main.js (to run in the foreground)',
      },
    ]),
  },
  {
    files: ['src/channels/**/*.ts'],
    rules: restrict([
      layer(
        ['**/sessions/*', '**/sessions/**'],
        'channels never import sessions; go through router/ports.ts',
      ),
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
