import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConfigError } from '../../lambda/local/errors.js';
import { loadHooksFile, loadTargetsFile } from '../../lambda/local/user-files.js';

let dir: string;
const file = (name: string): string => path.join(dir, name);
const SHAPE = 'expected a JSON array of { "srn": "<org>:access_target:<type>:<slug>:<version>", "label"?: string, "settings"?: object }';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'user-files-test-'));
  const files: Record<string, string> = {
    'targets.json': JSON.stringify([{ srn: 'acme:access_target:aws_lambda_function:db:latest', label: 'DB', settings: { arn: 'x' } }, { srn: 'acme:access_target:aws_lambda_function:other:1.0.0' }]),
    'empty.json': '[]',
    'object.json': '{"srn":"x"}',
    'twice.json': JSON.stringify([{ srn: 'acme:access_target:aws_lambda_function:db:latest' }, { srn: 'ACME:access_target:aws_lambda_function:DB:latest' }]),
    'settings.json': JSON.stringify([{ srn: 'acme:access_target:aws_lambda_function:db:latest', settings: 'arn' }]),
    'broken.json': '[{',
    // A CommonJS module as tsc compiles `export default defineHooks({...})`: default.default.
    'hooks.cjs': 'Object.defineProperty(exports, "__esModule", { value: true });\nexports.default = { afterEscalate() { return "cjs"; } };\n',
    'hooks.mjs': 'export default { onRequest() { return undefined; }, getPermissions() { return { approvers: [] }; } };\n',
    'hooks-array.mjs': 'export default [];\n',
    'hooks-value.mjs': 'export default { afterEscalate: 1 };\n',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(file(name), text);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadTargetsFile', () => {
  it('reads the targets, settings defaulting to {}', async () => {
    expect(await loadTargetsFile(file('targets.json'))).toEqual([
      { srn: 'acme:access_target:aws_lambda_function:db:latest', label: 'DB', settings: { arn: 'x' } },
      { srn: 'acme:access_target:aws_lambda_function:other:1.0.0', settings: {} },
    ]);
  });

  it.each([
    ['empty.json', (f: string) => `targets file ${f} is invalid: the file: must list at least one target; ${SHAPE}`],
    ['object.json', (f: string) => `targets file ${f} is invalid: the file: Expected array, received object; ${SHAPE}`],
    ['settings.json', (f: string) => `targets file ${f} is invalid: [0].settings: Expected object, received string; ${SHAPE}`],
    ['twice.json', (f: string) => `targets file ${f}: [1].srn ACME:access_target:aws_lambda_function:DB:latest is already listed at [0]; each target needs its own SRN`],
    ['missing.json', (f: string) => `targets file ${f} cannot be read (ENOENT); ${SHAPE}`],
  ])('refuses %s with a message naming the file and the entry', async (name, message) => {
    await expect(loadTargetsFile(file(name))).rejects.toThrow(new LocalConfigError(message(file(name))));
  });

  it('refuses a file that is not JSON', async () => {
    await expect(loadTargetsFile(file('broken.json'))).rejects.toThrow(new RegExp(`^targets file ${file('broken.json')} is not JSON \\(`));
  });
});

describe('loadHooksFile', () => {
  it('takes the default export of an ES module or of a compiled CommonJS one', async () => {
    const cjs = await loadHooksFile(file('hooks.cjs'));
    expect((cjs.afterEscalate as unknown as () => string)()).toBe('cjs');
    const esm = await loadHooksFile(file('hooks.mjs'));
    expect(Object.keys(esm).sort()).toEqual(['getPermissions', 'onRequest']);
  });

  it('refuses a default export that is not an object of hooks', async () => {
    await expect(loadHooksFile(file('hooks-array.mjs'))).rejects.toThrow(
      `hooks module ${file('hooks-array.mjs')} exports an array as default, not an object of hooks; write \`export default defineHooks({ afterEscalate(event) { … } })\``,
    );
    await expect(loadHooksFile(file('hooks-value.mjs'))).rejects.toThrow(`hooks module ${file('hooks-value.mjs')}: "afterEscalate" is a number, not a function`);
  });
});
