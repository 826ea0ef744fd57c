import type { DispatchResult } from '../lambda/dispatcher.js';
import { BOB, busEvent, TARGET_SRN } from '../test/support/local-aws.js';
import { SCHEDULER_EVENT_SOURCE, scheduleName } from '../lambda/scheduler/eventbridge-step-scheduler.js';
import { SdkCallRecorder, type RecordedCall } from '../test/support/sdk-call-recorder.js';
import { READING_HOOKS, SCHEDULE_GROUP, table, timed, type BenchStack, type BenchFlow } from './bench-stack.js';
import { costOfRun, peerCosts, usd, type CostLine } from './cost-per-run.js';

export interface RunMeasurement {
  readonly calls: RecordedCall[];
  readonly byEvent: { readonly event: string; readonly calls: number; readonly ms: number }[];
  readonly durationsMs: number[];
}

/**
 * One full run, request → approve (+ escalate) → the scheduled deescalate, through the
 * dispatcher's real adapters, with hooks that read their step's output once.
 */
export async function measureOneRun(stack: BenchStack, f: BenchFlow, runId: string, requester: { username: string; name: string }): Promise<RunMeasurement> {
  const from = stack.recorder.calls.length;
  const byEvent: { event: string; calls: number; ms: number }[] = [];
  const step = async (name: string, event: Record<string, unknown>, expected: string) => {
    const before = stack.recorder.calls.length;
    const { ms, value } = await timed(() => f.dispatcher.handle(event));
    const result = value as DispatchResult;
    if (result.status !== 'applied' || result.state !== expected) throw new Error(`bench run ${runId}: ${name} gave ${JSON.stringify(result)}`);
    byEvent.push({ event: name, calls: stack.recorder.calls.length - before, ms });
  };
  await step('request', busEvent('request', { runId, actor: requester, targetSrn: TARGET_SRN, duration: 600 }), 'requested');
  await step('approve (+ escalate)', busEvent('approve', { runId, actor: BOB }), 'escalated');
  f.advance(600_000);
  // The schedule fires and deletes itself, as Scheduler does with ActionAfterCompletion DELETE.
  stack.stub.fire(SCHEDULE_GROUP, scheduleName(runId, 'deescalate'));
  await step('scheduled deescalate', busEvent('deescalate', { runId, actor: { username: 'lambda-escalation' }, deescalateType: 'scheduled' }, { source: SCHEDULER_EVENT_SOURCE }), 'deescalated');
  return { calls: stack.recorder.since(from), byEvent, durationsMs: byEvent.map((e) => e.ms) };
}

export interface CallsPerRunResult {
  readonly callsPerRun: number;
  readonly repeatCallsPerRun: number;
  readonly costPerRun: number;
  readonly report: string;
}

export async function callsPerRun(stack: BenchStack): Promise<CallsPerRunResult> {
  const f = await stack.newFlow({ hooks: READING_HOOKS });
  const alice = { username: 'alice@example.com', name: 'Alice' };
  // Warm the clients and the JIT on an unrelated run, so durations are of a warm container.
  await measureOneRun(stack, f, 'warm-up', { username: 'warm@example.com', name: 'Warm' });
  const first = await measureOneRun(stack, f, 'bench-first', alice);
  // The same requester and target again, the usual way (a day later): the access slot
  // is past its hold and taken in one write.
  f.advance(86_400_000);
  const repeat = await measureOneRun(stack, f, 'bench-repeat', alice);
  // And at once after the previous run ended: the slot is still held, so the holder is
  // read before it is taken over.
  const immediate = await measureOneRun(stack, f, 'bench-immediate', alice);

  const counts = SdkCallRecorder.countByOperation(first.calls);
  const repeatCounts = SdkCallRecorder.countByOperation(repeat.calls);
  const immediateCounts = SdkCallRecorder.countByOperation(immediate.calls);
  const keys = [...new Set([...counts.keys(), ...repeatCounts.keys(), ...immediateCounts.keys()])];
  const lines: string[] = [];
  lines.push('AWS calls per run (request -> approve -> escalate -> scheduled deescalate; afterEscalate/afterDeescalate each call getStepOutput once)');
  lines.push(
    table([
      ['service', 'operation', 'first run of a requester+target', 'repeat run a day later', 'repeat right after the last one ended'],
      ...keys.map((k) => [k.split('.')[0]!, k.split('.')[1]!, counts.get(k) ?? 0, repeatCounts.get(k) ?? 0, immediateCounts.get(k) ?? 0]),
      ['total', '', first.calls.length, repeat.calls.length, immediate.calls.length],
    ]),
  );
  lines.push('');
  lines.push(table([['event', 'calls', 'wall ms (local)'], ...first.byEvent.map((e) => [e.event, e.calls, Number(e.ms.toFixed(2))])]));
  lines.push(`goal: at most 16 calls per run -> first run ${first.calls.length} (${first.calls.length <= 16 ? 'met' : `MISSED by ${first.calls.length - 16}`}), repeat run ${repeat.calls.length} (${repeat.calls.length <= 16 ? 'met' : `MISSED by ${repeat.calls.length - 16}`}); right after the last ended ${immediate.calls.length} (the holder is read before the slot is taken over)`);

  const cost = costOfRun({ calls: first.calls, dispatcherDurationsMs: first.durationsMs, ingressEvents: 3, schedulerInvocations: 1 });
  const repeatCost = costOfRun({ calls: repeat.calls, dispatcherDurationsMs: repeat.durationsMs, ingressEvents: 3, schedulerInvocations: 1 });
  lines.push('');
  lines.push(`Cost per run at list prices (us-east-1, see bench/aws-prices.ts); run item sizes written: ${cost.capacity.itemSizes.join(', ')} bytes`);
  const sorted = [...cost.lines].sort((a, b) => b.usd - a.usd);
  lines.push(table([['item', 'quantity', 'USD', 'share'], ...cost.lines.map((l: CostLine) => [l.item, l.quantity, usd(l.usd), `${((100 * l.usd) / cost.total).toFixed(1)}%`]), ['total (first run)', '', usd(cost.total), ''], ['total (repeat run)', '', usd(repeatCost.total), '']]));
  lines.push(`dominated by: ${sorted.slice(0, 2).map((l) => `${l.item} (${((100 * l.usd) / cost.total).toFixed(0)}%)`).join(', ')}`);
  lines.push(`goal: at most $0.00002 per run -> ${cost.total <= 0.00002 ? 'met' : `MISSED by ${usd(cost.total - 0.00002)} (${((cost.total / 0.00002 - 1) * 100).toFixed(0)}% over)`}`);
  const allProjected = costOfRun({ calls: first.calls, dispatcherDurationsMs: first.durationsMs, ingressEvents: 3, schedulerInvocations: 1 }, { projection: 'ALL' });
  lines.push(`for comparison, both GSIs projecting ALL (as first built): ${allProjected.capacity.writeUnits} WRU, ${usd(allProjected.total)} per run`);
  lines.push('not per run: the sweep rule (one dispatcher invocation and one Query per interval, whatever the number of runs)');
  lines.push('');
  lines.push('Step Functions state transitions alone, for comparison:');
  lines.push(table([['workflow', 'transitions', 'USD per run', 'x ours'], ...peerCosts().map((p) => [p.name, p.transitions, usd(p.usd), `${(p.usd / cost.total).toFixed(1)}x`])]));
  return { callsPerRun: first.calls.length, repeatCallsPerRun: repeat.calls.length, costPerRun: cost.total, report: lines.join('\n') };
}
