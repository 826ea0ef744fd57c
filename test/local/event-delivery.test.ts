import { describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../lambda/dispatcher.js';
import { EventDelivery, formatDispatch } from '../../lambda/local/event-delivery.js';
import type { EventBridgeEvent } from '../../lambda/local/put-events-server.js';
import { StoreUnavailableError } from '../../lambda/store/errors.js';

function event(step: string, detail: EventBridgeEvent['detail'], source = 'lambda-escalation'): EventBridgeEvent {
  return { version: '0', id: `e-${step}`, 'detail-type': step, source, account: '000000000000', time: '2026-12-04T10:00:00Z', region: 'us-east-1', resources: [], detail };
}

const APPLIED: DispatchResult = { status: 'applied', runId: 'r-1', state: 'escalated', steps: ['approve', 'escalate_result'] };

describe('EventDelivery', () => {
  it('retries an event whose handling throws, with backoff, and records the outcome', async () => {
    const lines: string[] = [];
    let calls = 0;
    const delivery = new EventDelivery({
      handle: async () => {
        calls += 1;
        if (calls < 3) throw new StoreUnavailableError('GetItem', { cause: new Error('ECONNRESET') });
        return APPLIED;
      },
      log: (line) => lines.push(line),
      retryBaseDelayMs: 5,
    });
    const outcome = await delivery.deliver(event('approve', { runId: 'r-1', actor: { username: 'bob' } }));
    expect(outcome).toMatchObject({ eventId: 'e-approve', step: 'approve', runId: 'r-1', status: 'done', result: APPLIED, attempts: 3 });
    expect(delivery.outcome('e-approve')).toEqual(outcome);
    expect(lines).toEqual([
      'retry       approve run r-1: attempt 1 of 4 threw StoreUnavailableError: the run store failed during GetItem: Error: ECONNRESET; again in 5 ms',
      'retry       approve run r-1: attempt 2 of 4 threw StoreUnavailableError: the run store failed during GetItem: Error: ECONNRESET; again in 10 ms',
      expect.stringMatching(/^approve     run r-1 by bob: applied, now escalated \[approve, escalate_result\]  \d+ ms \(after 3 attempts\)$/),
    ]);
  });

  it('gives up after maxAttempts and says so loudly, without throwing', async () => {
    const lines: string[] = [];
    const delivery = new EventDelivery({
      handle: async () => {
        throw new Error('table gone');
      },
      log: (line) => lines.push(line),
      maxAttempts: 2,
      retryBaseDelayMs: 1,
    });
    const outcome = await delivery.deliver(event('request', { runId: 'r-2', actor: { username: 'alice' } }));
    expect(outcome).toMatchObject({ status: 'failed', error: 'Error: table gone', attempts: 2 });
    expect(lines.at(-1)).toMatch(/^!!! FAILED  request run r-2 \(event e-request\) after 2 attempts, \d+ ms: Error: table gone\. The event is dropped/);
  });

  it('lets close() wait for events in flight', async () => {
    let release: () => void = () => undefined;
    const delivery = new EventDelivery({
      handle: () => new Promise<DispatchResult>((resolve) => (release = () => resolve(APPLIED))),
      log: () => undefined,
    });
    const pending = delivery.deliver(event('approve', { runId: 'r-1' }));
    expect(delivery.outcome('e-approve')?.status).toBe('processing');
    let closed = false;
    const closing = delivery.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    release();
    await closing;
    expect((await pending).status).toBe('done');
  });

  it('keeps only the latest outcomes', async () => {
    const delivery = new EventDelivery({ handle: async () => APPLIED, log: () => undefined, keep: 2 });
    for (const step of ['a', 'b', 'c']) await delivery.deliver(event(step, {}));
    expect([delivery.outcome('e-a'), delivery.outcome('e-b')?.step, delivery.outcome('e-c')?.step]).toEqual([undefined, 'b', 'c']);
  });
});

describe('formatDispatch', () => {
  it('names the scheduler, a refusal and its code, and the sweep', () => {
    expect(formatDispatch(event('deescalate', { runId: 'r-1' }, 'lambda-escalation.scheduler'), { status: 'applied', runId: 'r-1', state: 'deescalated', steps: ['deescalate', 'deescalate_result'] }, 12)).toBe(
      'deescalate  run r-1 by scheduler: applied, now deescalated [deescalate, deescalate_result]  12 ms',
    );
    expect(formatDispatch(event('approve', { runId: 'r-1', actor: { username: 'alice' } }), { status: 'refused', code: 'self_approval', message: 'no', runId: 'r-1' }, 3)).toBe(
      'approve     run r-1 by alice: REFUSED (self_approval): no  3 ms',
    );
    expect(formatDispatch(event('Scheduled Event', {}, 'aws.events'), { examined: 2, fired: [], failed: [] }, 4)).toBe('Scheduled Event examined 2, fired 0  4 ms');
  });
});
