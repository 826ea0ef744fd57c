import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { jsonObjectSchema } from '../config/json-schema.js';
import type { FlowTargetConfig } from '../config/flow-config.js';
import { InvalidSRNError } from '../sdk/errors.js';
import { validateHooks, type Hooks } from '../sdk/hooks.js';
import { InvalidHooksError } from '../sdk/errors.js';
import { SRN } from '../sdk/srn.js';
import { LocalConfigError } from './errors.js';
import { loadModule } from './module-loader.js';

const targetsFileSchema = z
  .array(
    z
      .object({
        srn: z.string().min(1, 'must be a non-empty string'),
        label: z.string().optional(),
        settings: jsonObjectSchema.optional(),
      })
      .strict(),
  )
  .min(1, 'must list at least one target');

const TARGETS_SHAPE = 'a JSON array of { "srn": "<org>:access_target:<type>:<slug>:<version>", "label"?: string, "settings"?: object }';

/**
 * Reads a `--targets` file: a JSON array of `{ srn, label?, settings? }`. Each SRN is
 * parsed, and an SRN listed twice is refused, because a request names its target by SRN.
 *
 * @throws LocalConfigError naming the file, the entry and what is wrong with it
 */
export async function loadTargetsFile(file: string): Promise<FlowTargetConfig[]> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new LocalConfigError(`targets file ${absolute} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); expected ${TARGETS_SHAPE}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LocalConfigError(`targets file ${absolute} is not JSON (${(error as Error).message}); expected ${TARGETS_SHAPE}`, { cause: error });
  }
  const parsed = targetsFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? formatPath(issue.path) : 'the file'}: ${issue.message}`).join('; ');
    throw new LocalConfigError(`targets file ${absolute} is invalid: ${problems}; expected ${TARGETS_SHAPE}`);
  }
  const seen = new Map<string, number>();
  return parsed.data.map((target, index) => {
    try {
      SRN.parse(target.srn);
    } catch (error) {
      if (error instanceof InvalidSRNError) throw new LocalConfigError(`targets file ${absolute}: [${index}].srn: ${error.message}`, { cause: error });
      throw error;
    }
    const key = target.srn.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      throw new LocalConfigError(`targets file ${absolute}: [${index}].srn ${target.srn} is already listed at [${first}]; each target needs its own SRN`);
    }
    seen.set(key, index);
    return { srn: target.srn, settings: target.settings ?? {}, ...(target.label !== undefined ? { label: target.label } : {}) };
  });
}

/**
 * Loads a hooks module the way the stack bundles it (`import hooks from '<file>'`): its
 * default export, ESM or CommonJS, TypeScript or JavaScript. Members are checked here so
 * a misspelt hook fails at start instead of never running.
 *
 * @throws ModuleLoadError when the file cannot be loaded
 * @throws LocalConfigError when the default export is not a hooks object
 */
export async function loadHooksFile(file: string): Promise<Hooks> {
  const absolute = path.resolve(file);
  const exports = await loadModule(absolute);
  const hooks = exports.default;
  const fix = 'write `export default defineHooks({ afterEscalate(event) { … } })`';
  if (hooks === undefined) {
    const named = Object.keys(exports).filter((k) => k !== 'default');
    throw new LocalConfigError(`hooks module ${absolute} has no default export${named.length > 0 ? ` (it exports ${named.join(', ')})` : ''}; ${fix}`);
  }
  try {
    return validateHooks(hooks, `hooks module ${absolute}`);
  } catch (error) {
    if (error instanceof InvalidHooksError) throw new LocalConfigError(error.message, { cause: error });
    throw error;
  }
}

/** `[0].settings.arn`, the way a reader finds the spot in the file. */
function formatPath(parts: readonly (string | number)[]): string {
  return parts.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}
