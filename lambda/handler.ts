import type { Hooks } from './sdk/hooks.js';

// Placeholder until the dispatcher lands: the real factory builds the dispatcher from env.
export function createHandler(hooks: Hooks): (event: unknown) => Promise<unknown> {
  return async () => {
    throw new Error(`dispatcher not built yet (${Object.keys(hooks).length} hooks)`);
  };
}
