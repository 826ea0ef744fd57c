import type { Event } from '../../lambda/sdk/event.js';
import type { Hooks } from '../../lambda/sdk/hooks.js';
import { defineHooks, getStepOutput } from '../../lambda/sdk/index.js';

export type CountedHook = Exclude<keyof Hooks, 'getPermissions'>;

/**
 * Hooks that count their calls per run, so a test can assert "hooks once". The after-
 * hooks of escalate and deescalate read their step's output once, as real hooks do
 * (and as the call-count benchmark assumes).
 */
export class CountingHooks {
  public readonly calls = new Map<string, number>();
  public readonly outputReadFailures: string[] = [];
  public readonly hooks: Hooks;

  public constructor(options: { readonly onHooks?: boolean } = {}) {
    const count = (name: CountedHook) => (event: Event) => {
      const k = `${event.run.id}\u0000${name}`;
      this.calls.set(k, (this.calls.get(k) ?? 0) + 1);
    };
    const countAndRead = (name: CountedHook) => async (event: Event) => {
      count(name)(event);
      try {
        await getStepOutput();
      } catch (error) {
        this.outputReadFailures.push(`${event.run.id} ${name}: ${(error as Error).message}`);
      }
    };
    this.hooks = defineHooks({
      afterRequest: count('afterRequest'),
      afterApprove: count('afterApprove'),
      afterDeny: count('afterDeny'),
      afterEscalate: countAndRead('afterEscalate'),
      afterDeescalate: countAndRead('afterDeescalate'),
      ...(options.onHooks
        ? {
            onRequest: (event: Event) => void count('onRequest')(event),
            onApprove: (event: Event) => void count('onApprove')(event),
            onDeny: (event: Event) => void count('onDeny')(event),
            onEscalate: (event: Event) => void count('onEscalate')(event),
            onDeescalate: (event: Event) => void count('onDeescalate')(event),
          }
        : {}),
    });
  }

  public count(runId: string, hook: CountedHook): number {
    return this.calls.get(`${runId}\u0000${hook}`) ?? 0;
  }

  /** Runs and hooks called more than once: `runId hook ×n`. */
  public repeated(): string[] {
    return [...this.calls].filter(([, n]) => n > 1).map(([k, n]) => `${k.replace('\u0000', ' ')} x${n}`);
  }
}
