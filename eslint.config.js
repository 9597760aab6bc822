// ESLint flat config: typescript-eslint's type-checked rules over src/ and test/; Prettier owns the layout.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeGlobals = {
  process: 'readonly',
  console: 'readonly',
  URL: 'readonly',
  Buffer: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  setImmediate: 'readonly',
  fetch: 'readonly',
  AbortController: 'readonly',
  performance: 'readonly',
};
const untyped = tseslint.configs.disableTypeChecked;

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'templates/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
      globals: nodeGlobals,
    },
    rules: {
      // `_name` marks a value left out on purpose (e.g. `{ file: _file, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // oclif's flag API (`parse`, `defaultHelp`) and the Target interface are async by contract: an
      // implementation that needs no await is still correct.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read the CLI's JSON output and the fakes' recorded calls: untyped by nature.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Scripts and benches run as plain Node (bench/*.ts through tsx, outside the type-checked project).
    files: ['**/*.js', '**/*.cjs', '**/*.mjs', 'bench/**/*.ts'],
    ...untyped,
    languageOptions: { ...untyped.languageOptions, globals: nodeGlobals, sourceType: 'module' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...nodeGlobals, require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
  },
);
