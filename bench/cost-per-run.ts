import type { RecordedCall } from '../test/support/sdk-call-recorder.js';
import { AWS_PRICES, DISPATCHER_MEMORY_MB, PEER_WORKFLOWS, USER_FUNCTION_MEMORY_MB } from './aws-prices.js';
import { capacityOf } from './dynamodb-capacity.js';

export interface CostInput {
  /** Every AWS call the dispatcher (and its hooks) made for the run. */
  readonly calls: readonly RecordedCall[];
  /** Wall time of each dispatcher invocation (one per event it handled). */
  readonly dispatcherDurationsMs: readonly number[];
  /** Events put on the bus by others that the dispatcher's rule delivers (request, approve, the schedule's deescalate). */
  readonly ingressEvents: number;
  /** Schedules that fired. */
  readonly schedulerInvocations: number;
}

export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  readonly usd: number;
}

const gbSeconds = (ms: number, memoryMb: number) => (Math.ceil(ms / AWS_PRICES.lambda.billingGranularityMs) * AWS_PRICES.lambda.billingGranularityMs * memoryMb) / 1024 / 1000;

/** What one run costs at list prices, line by line. */
export function costOfRun(input: CostInput, options: { readonly projection?: 'ALL' | 'KEYS_ONLY' } = {}): { lines: CostLine[]; total: number; capacity: ReturnType<typeof capacityOf> } {
  const p = AWS_PRICES;
  const invokes = input.calls.filter((c) => c.service === 'Lambda' && c.operation === 'Invoke');
  const dispatcherGbS = input.dispatcherDurationsMs.reduce((n, ms) => n + gbSeconds(ms, DISPATCHER_MEMORY_MB), 0);
  // The user's functions here answer at once; their billed time is at least the Invoke round trip we saw.
  const userGbS = invokes.reduce((n, c) => n + gbSeconds(c.durationMs, USER_FUNCTION_MEMORY_MB), 0);
  const capacity = capacityOf(input.calls, options);
  const lifecycleEntries = input.calls
    .filter((c) => c.service === 'EventBridge' && c.operation === 'PutEvents')
    .flatMap((c) => (c.input as { Entries?: { Detail?: string; DetailType?: string; Source?: string }[] }).Entries ?? []);
  const chunks = lifecycleEntries.reduce((n, e) => n + Math.max(1, Math.ceil(Buffer.byteLength(`${e.Source}${e.DetailType}${e.Detail}`) / p.eventbridge.chunkBytes)), 0);
  const requests = input.dispatcherDurationsMs.length + invokes.length;
  const lines: CostLine[] = [
    { item: 'Lambda requests (dispatcher + user functions)', quantity: `${input.dispatcherDurationsMs.length} + ${invokes.length}`, usd: requests * p.lambda.perRequest },
    { item: `Lambda duration, dispatcher @ ${DISPATCHER_MEMORY_MB} MB`, quantity: `${dispatcherGbS.toFixed(5)} GB-s`, usd: dispatcherGbS * p.lambda.perGbSecond },
    { item: `Lambda duration, user functions @ ${USER_FUNCTION_MEMORY_MB} MB`, quantity: `${userGbS.toFixed(5)} GB-s`, usd: userGbS * p.lambda.perGbSecond },
    {
      item: 'DynamoDB writes (table + GSIs)',
      quantity: `${capacity.writeUnits} WRU (${capacity.indexWriteUnits} in GSIs)`,
      usd: capacity.writeUnits * p.dynamodb.perWriteRequestUnit,
    },
    { item: 'DynamoDB reads (consistent)', quantity: `${capacity.readUnits} RRU`, usd: capacity.readUnits * p.dynamodb.perReadRequestUnit },
    { item: 'EventBridge custom events (ingress + lifecycle)', quantity: `${input.ingressEvents} + ${chunks}`, usd: (input.ingressEvents + chunks) * p.eventbridge.perCustomEvent },
    { item: 'EventBridge Scheduler invocations', quantity: String(input.schedulerInvocations), usd: input.schedulerInvocations * p.scheduler.perInvocation },
  ];
  return { lines, total: lines.reduce((n, l) => n + l.usd, 0), capacity };
}

export function peerCosts(): { name: string; transitions: number; usd: number }[] {
  return PEER_WORKFLOWS.map((w) => ({ ...w, usd: w.transitions * AWS_PRICES.stepFunctions.perStateTransition }));
}

export const usd = (n: number) => `$${n.toFixed(8)}`;
