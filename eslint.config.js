// ESLint (flat config): the recommended rules of ESLint and typescript-eslint over the whole tree.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'models/**', 'data/**', 'runs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // tsc's noUnusedLocals/noUnusedParameters already check these; `_` marks an intended gap
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // a `let` that closures read before its one assignment (service/serve.ts) stays a `let`
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  // the service's page runs in the browser
  { files: ['service/page/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
);
