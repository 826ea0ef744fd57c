import { describe, expect, it } from 'vitest';
import { InvalidHooksError } from '../../lambda/sdk/errors.js';
import { defineHooks, validateHooks, type Hooks } from '../../lambda/sdk/hooks.js';

describe('defineHooks and validateHooks', () => {
  it('returns the hooks as given', () => {
    const afterEscalate = () => undefined;
    expect(defineHooks({ afterEscalate })).toEqual({ afterEscalate });
  });

  it('refuses a misspelt hook at load, listing the real names', () => {
    const typo = { afterEscalte: () => undefined } as unknown as Hooks;
    expect(() => defineHooks(typo)).toThrow(
      new InvalidHooksError(
        'defineHooks() has an unknown member "afterEscalte": hooks are onPrompt, afterPrompt, onRequest, afterRequest, onApprove, afterApprove, onDeny, afterDeny, onEscalate, afterEscalate, onDeescalate, afterDeescalate, getPermissions',
      ),
    );
  });

  it('refuses members that are not functions, and defaults that are not objects', () => {
    expect(() => validateHooks({ onRequest: 'approve' }, 'hooks module h.ts')).toThrow('hooks module h.ts: "onRequest" is a string, not a function');
    expect(() => validateHooks([], 'hooks module h.ts')).toThrow(/^hooks module h\.ts exports an array as default, not an object of hooks/);
    expect(() => validateHooks(undefined, 'm')).toThrow(/^m exports undefined as default/);
  });
});
