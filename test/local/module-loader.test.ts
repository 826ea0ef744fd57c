import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHandler, loadModule, ModuleLoadError } from '../../lambda/local/module-loader.js';

let dir: string;
const file = (name: string): string => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'module-loader-test-'));
  await writeFile(
    file('esm.mjs'),
    'export const handler = async (event) => ({ body: { esm: event }, errors: [] });\nexport default { kind: "esm-default" };\n',
  );
  await writeFile(file('plain.cjs'), 'exports.handler = async () => ({ body: "cjs", errors: [] });\nexports.other = 1;\n');
  // What tsc or esbuild (and so tsx, for a .ts file in a folder without "type": "module")
  // make of `export default hooks; export const handler`: the default arrives as default.default.
  await writeFile(
    file('compiled.cjs'),
    [
      '"use strict";',
      'Object.defineProperty(exports, "__esModule", { value: true });',
      'exports.handler = void 0;',
      'const handler = async () => ({ body: "compiled", errors: [] });',
      'exports.handler = handler;',
      'exports.default = { afterEscalate() { return "hooked"; } };',
      '',
    ].join('\n'),
  );
  await writeFile(
    file('typed.ts'),
    [
      'interface Input { readonly name: string }',
      'export const handler = async (event: Input): Promise<{ body: string; errors: string[] }> => ({ body: `hi ${event.name}`, errors: [] });',
      'export default { typed: true as const };',
      '',
    ].join('\n'),
  );
  await writeFile(file('no-handler.mjs'), 'export const main = () => 1;\nexport const handler = 42;\n');
  await writeFile(file('broken.mjs'), 'export const = ;\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadModule', () => {
  it('loads an ES module', async () => {
    const exports = await loadModule(file('esm.mjs'));
    expect(exports.default).toEqual({ kind: 'esm-default' });
    expect(typeof exports.handler).toBe('function');
  });

  it('loads a CommonJS module', async () => {
    const exports = await loadModule(file('plain.cjs'));
    expect(exports.other).toBe(1);
    expect(typeof exports.handler).toBe('function');
  });

  it('unwraps default.default of a CommonJS module compiled from ESM', async () => {
    const exports = await loadModule(file('compiled.cjs'));
    const hooks = exports.default as { afterEscalate(): string };
    expect(hooks.afterEscalate()).toBe('hooked');
    expect(typeof exports.handler).toBe('function');
    expect('__esModule' in exports).toBe(false);
  });

  it('loads a TypeScript module', async () => {
    const exports = await loadModule(file('typed.ts'));
    expect(exports.default).toEqual({ typed: true });
    expect(typeof exports.handler).toBe('function');
  });

  it('names the file that does not exist', async () => {
    const missing = file('missing.mjs');
    await expect(loadModule(missing)).rejects.toThrow(new ModuleLoadError(missing, `cannot load module ${missing}: the file does not exist or cannot be read`));
  });

  it('names the file that fails to load', async () => {
    await expect(loadModule(file('broken.mjs'))).rejects.toThrow(`cannot load module ${file('broken.mjs')}`);
  });
});

describe('loadHandler', () => {
  it('returns the handler of each kind of module', async () => {
    await expect((await loadHandler(file('esm.mjs')))('x', context)).resolves.toEqual({ body: { esm: 'x' }, errors: [] });
    await expect((await loadHandler(file('plain.cjs')))({}, context)).resolves.toEqual({ body: 'cjs', errors: [] });
    await expect((await loadHandler(file('compiled.cjs')))({}, context)).resolves.toEqual({ body: 'compiled', errors: [] });
    await expect((await loadHandler(file('typed.ts')))({ name: 'ts' }, context)).resolves.toEqual({ body: 'hi ts', errors: [] });
  });

  it('loads another export by name', async () => {
    const main = await loadHandler(file('no-handler.mjs'), 'main');
    expect(main({}, context)).toBe(1);
  });

  it('names the file and the exports found when the export is missing', async () => {
    await expect(loadHandler(file('plain.cjs'), 'escalate')).rejects.toThrow(
      `module ${file('plain.cjs')} has no export "escalate"; its exports are: "default", "handler", "other". Export the handler as \`export const escalate = async (event) => …\``,
    );
  });

  it('says so when the export is not a function', async () => {
    await expect(loadHandler(file('no-handler.mjs'))).rejects.toThrow(
      `module ${file('no-handler.mjs')} exports a number, not a function, as "handler"; its exports are: "handler", "main". Export the handler as \`export const handler = async (event) => …\``,
    );
  });
});

const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 1_000 };
