import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Layering is enforced here, not hoped for, both ways: core and shared never import electron,
// nor the hosts above them (cli, main, preload, renderer); the renderer imports only shared and
// its own files; Node globals are off in the renderer. Tests that drive the CLI live in tests/.
const noElectron = {
  paths: [{ name: 'electron', message: 'Only src/main and src/preload may import electron.' }],
};
const noHosts = {
  group: ['**/cli/**', '**/main/**', '**/preload/**', '**/renderer/**'],
  message:
    'core is below every host: it never imports src/cli, src/main, src/preload or src/renderer.',
};

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      '.native/**',
      'coverage/**',
      'tests/vcsim/vcsim',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { attributes: false } },
      ],
    },
  },
  {
    files: ['src/cli/**'],
    rules: { 'no-restricted-imports': ['error', noElectron] },
  },
  {
    files: ['src/core/**'],
    rules: { 'no-restricted-imports': ['error', { ...noElectron, patterns: [noHosts] }] },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...noElectron,
          patterns: [
            {
              group: [
                'node:*',
                '**/core/**',
                '**/main/**',
                '**/renderer/**',
                '**/cli/**',
                '**/preload/**',
              ],
              message: 'shared is pure: no Node, no other layer.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      'no-restricted-imports': [
        'error',
        {
          ...noElectron,
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'child_process'],
              message: 'The renderer has no Node.',
            },
            {
              group: ['**/core/**', '**/main/**', '**/cli/**', '**/preload/**'],
              message: 'The renderer imports only shared and its own files.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'require', '__dirname', 'Buffer'],
    },
  },
  {
    files: ['tests/**', 'bench/**', 'scripts/**', '**/*.test.ts', '**/*.test.tsx'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // electron-builder loads its hooks with require().
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['scripts/**', 'bin/**'],
    languageOptions: { globals: { ...globals.node } },
  },
);
