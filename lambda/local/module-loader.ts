import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LambdaHandler } from './lambda-invoke-server.js';

/** A user module (hooks, handler) could not be loaded, or lacks what was asked for. */
export class ModuleLoadError extends Error {
  public constructor(
    public readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModuleLoadError';
  }
}

/**
 * Imports a user's module (ESM or CommonJS, TypeScript or JavaScript) and returns its
 * exports. A relative `file` resolves against the working directory.
 *
 * TypeScript needs a loader in the process: `tsx` (what `npm start` runs under) or vitest.
 *
 * A CommonJS module arrives from `import()` with its whole `module.exports` as `default`.
 * When that object has a `default` of its own (what tsc and esbuild make of `export
 * default`, as when tsx loads a `.ts` file from a folder without `"type": "module"`),
 * its members are returned instead, so `default` is the module's real default export
 * whichever way it was loaded.
 *
 * @see https://nodejs.org/api/esm.html#interoperability-with-commonjs
 */
export async function loadModule(file: string): Promise<Record<string, unknown>> {
  const absolute = path.resolve(file);
  try {
    await stat(absolute);
  } catch (error) {
    throw new ModuleLoadError(absolute, `cannot load module ${absolute}: the file does not exist or cannot be read`, { cause: error });
  }

  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    const hint =
      (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION'
        ? ' (TypeScript needs a loader: run under tsx, as `npm start` does)'
        : '';
    throw new ModuleLoadError(absolute, `cannot load module ${absolute}${hint}: ${(error as Error).message ?? String(error)}`, { cause: error });
  }

  const inner = namespace.default;
  if (typeof inner === 'object' && inner !== null && Object.prototype.hasOwnProperty.call(inner, 'default')) {
    const exports: Record<string, unknown> = { ...namespace };
    for (const key of Object.keys(inner)) exports[key] = (inner as Record<string, unknown>)[key];
    delete exports.__esModule;
    return exports;
  }
  return { ...namespace };
}

/**
 * Loads the function `exportName` of `file`, as the Lambda runtime does for a handler
 * setting like `index.handler`.
 *
 * @throws ModuleLoadError naming the file and the exports it has, when there is no such
 * function
 */
export async function loadHandler(file: string, exportName = 'handler'): Promise<LambdaHandler> {
  const exports = await loadModule(file);
  const candidate = exports[exportName];
  if (typeof candidate === 'function') return candidate as LambdaHandler;

  const absolute = path.resolve(file);
  const found = Object.keys(exports).sort();
  const listed = found.length > 0 ? found.map((name) => `"${name}"`).join(', ') : 'none';
  const problem = candidate === undefined ? 'has no export' : `exports a ${typeof candidate}, not a function, as`;
  throw new ModuleLoadError(
    absolute,
    `module ${absolute} ${problem} "${exportName}"; its exports are: ${listed}. Export the handler as \`export const ${exportName} = async (event) => …\``,
  );
}
