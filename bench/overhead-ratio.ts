import { GetItemCommand, PutItemCommand, type GetItemCommandInput, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, type InvokeCommandInput } from '@aws-sdk/client-lambda';
import { CreateScheduleCommand, type CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import type { RecordedCall } from '../test/support/sdk-call-recorder.js';
import { measureOneRun } from './calls-per-run.js';
import { median, table, timed, type BenchStack } from './bench-stack.js';

/**
 * The calls an event cannot do without, in the dispatcher's order: read the run, write
 * the claim (and the access slot), invoke, write the output, schedule, publish. Anything
 * else the dispatcher sent is overhead, so it is left out of the floor.
 */
const FLOOR: Record<string, readonly string[]> = {
  request: ['DynamoDB.PutItem', 'EventBridge.PutEvents'],
  'approve (+ escalate)': ['DynamoDB.GetItem', 'DynamoDB.PutItem', 'DynamoDB.PutItem', 'Lambda.Invoke', 'DynamoDB.PutItem', 'Scheduler.CreateSchedule', 'EventBridge.PutEvents'],
  'scheduled deescalate': ['DynamoDB.GetItem', 'DynamoDB.PutItem', 'Lambda.Invoke', 'DynamoDB.PutItem', 'EventBridge.PutEvents'],
};

export interface OverheadResult {
  readonly ratio: number;
  readonly report: string;
}

/** Rewrites every key in a DynamoDB input so the floor writes its own items (same sizes, same conditions). */
function rekey<T>(value: T, suffix: string): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) =>
    typeof v === 'string' && (v.startsWith('RUN#') || v.startsWith('SLOT#')) ? `${v}~${suffix}` : v,
  ) as T;
}

/** The Item of a PutItem, with a binary runGz kept binary (JSON would turn it into an object). */
function rekeyPut(input: PutItemCommandInput, suffix: string): PutItemCommandInput {
  const { runGz, ...rest } = input.Item ?? {};
  const item = rekey(rest, suffix);
  return { ...rekey({ ...input, Item: undefined }, suffix), Item: runGz ? { ...item, runGz } : item };
}

/**
 * Replays the floor of one event: the inputs the dispatcher sent for it, minus what is
 * not in the floor, issued directly with the same clients in the same order.
 */
async function replayFloor(stack: BenchStack, calls: readonly RecordedCall[], floor: readonly string[], suffix: string): Promise<number> {
  const pool = [...calls];
  const take = (key: string) => {
    const i = pool.findIndex((c) => `${c.service}.${c.operation}` === key);
    if (i < 0) throw new Error(`the dispatcher made no ${key} for this event; the floor is wrong`);
    return pool.splice(i, 1)[0] as RecordedCall;
  };
  const planned = floor.map(take);
  const { ms } = await timed(async () => {
    for (const call of planned) {
      const key = `${call.service}.${call.operation}`;
      if (key === 'DynamoDB.GetItem') await stack.clients.dynamodb.send(new GetItemCommand(rekey(call.input as GetItemCommandInput, suffix)));
      else if (key === 'DynamoDB.PutItem') await stack.clients.dynamodb.send(new PutItemCommand(rekeyPut(call.input as PutItemCommandInput, suffix)));
      else if (key === 'Lambda.Invoke') await stack.clients.lambda.send(new InvokeCommand(call.input as InvokeCommandInput));
      else if (key === 'Scheduler.CreateSchedule') {
        const input = call.input as CreateScheduleCommandInput;
        await stack.clients.scheduler.send(new CreateScheduleCommand({ ...input, Name: `${input.Name}-${suffix}`.slice(0, 64) }));
      } else if (key === 'EventBridge.PutEvents') await stack.clients.eventbridge.send(new PutEventsCommand(call.input as PutEventsCommandInput));
    }
  });
  return ms;
}

/**
 * Per event, the dispatcher's wall time over the wall time of its floor, both on the same
 * dynalite, loopback Lambda endpoint and stubs, alternating so drift hits both alike.
 */
export async function overheadRatio(stack: BenchStack, iterations: number): Promise<OverheadResult> {
  const f = await stack.newFlow();
  const samples = new Map<string, { dispatcher: number[]; floor: number[]; ratio: number[] }>();
  for (let i = -10; i < iterations; i++) {
    // Each run has its own requester, so its access slot is fresh: the common case.
    const run = await measureOneRun(stack, f, `overhead-${i + 10}`, { username: `user-${i + 10}@example.com`, name: 'User' });
    let offset = 0;
    for (const event of run.byEvent) {
      const calls = run.calls.slice(offset, offset + event.calls);
      offset += event.calls;
      const floorMs = await replayFloor(stack, calls, FLOOR[event.event] as readonly string[], `floor${i + 10}`);
      if (i < 0) continue; // warm-up
      const s = samples.get(event.event) ?? { dispatcher: [], floor: [], ratio: [] };
      s.dispatcher.push(event.ms);
      s.floor.push(floorMs);
      s.ratio.push(event.ms / floorMs);
      samples.set(event.event, s);
    }
  }
  const rows: (string | number)[][] = [['event', 'floor calls', 'dispatcher median ms', 'floor median ms', 'ratio of medians', 'median of paired ratios']];
  let totalDispatcher = 0;
  let totalFloor = 0;
  for (const [event, s] of samples) {
    const d = median(s.dispatcher);
    const fl = median(s.floor);
    totalDispatcher += d;
    totalFloor += fl;
    rows.push([event, FLOOR[event]!.length, Number(d.toFixed(2)), Number(fl.toFixed(2)), Number((d / fl).toFixed(3)), Number(median(s.ratio).toFixed(3))]);
  }
  const ratio = totalDispatcher / totalFloor;
  rows.push(['whole run', '', Number(totalDispatcher.toFixed(2)), Number(totalFloor.toFixed(2)), Number(ratio.toFixed(3)), '']);
  const report = [
    `Overhead ratio: dispatcher wall time / wall time of the floor calls issued directly (median of ${iterations} runs, no hooks)`,
    table(rows),
    `goal: at most 1.2 -> whole run ${ratio.toFixed(3)} (${ratio <= 1.2 ? 'met' : `MISSED by ${(ratio - 1.2).toFixed(3)}`}); worst event ${Math.max(...rows.slice(1, -1).map((r) => r[4] as number)).toFixed(3)}`,
  ].join('\n');
  return { ratio, report };
}
