/**
 * Lints the cases given as JSON on stdin ({ filePath, code }[]) with the project's own ESLint config
 * and prints the messages. It runs outside Jest because Jest's module sandbox cannot load the flat
 * config (an ES module). Type-aware rules are off: the cases are text placed at paths that do not
 * exist, and the fences under test read only the import statements.
 */
import { text } from 'node:stream/consumers';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const cases = JSON.parse(await text(process.stdin));
const eslint = new ESLint({
  cwd: process.cwd(),
  ignore: false,
  overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }],
});
const results = [];
for (const { filePath, code } of cases) {
  const [result] = await eslint.lintText(code, { filePath });
  results.push({ filePath, messages: result.messages.map(({ ruleId, message, line }) => ({ ruleId, message, line })) });
}
process.stdout.write(JSON.stringify(results));
