import type { DispatchResult } from '../lambda/dispatcher.js';
import { SCHEDULER_EVENT_SOURCE } from '../lambda/scheduler/eventbridge-step-scheduler.js';
import { BOB, busEvent, TARGET_SRN } from '../test/support/local-aws.js';
import { table, timed, type BenchStack } from './bench-stack.js';

export interface ScaleResult {
  readonly ratio: number;
  readonly report: string;
}

interface ScalePoint {
  readonly runs: number;
  readonly ms: number;
  readonly phases: Record<string, number>;
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
}

/** Samples memory while `fn` runs: the peak matters, not where it ends. */
async function withPeakMemory<T>(fn: () => Promise<T>): Promise<{ value: T; rss: number; heap: number }> {
  let rss = process.memoryUsage().rss;
  let heap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }, 20);
  try {
    const value = await fn();
    return { value, rss, heap };
  } finally {
    clearInterval(timer);
  }
}

async function allApplied(label: string, results: Promise<unknown>[]): Promise<void> {
  const settled = (await Promise.all(results)) as DispatchResult[];
  const bad = settled.filter((r) => r.status !== 'applied');
  if (bad.length > 0) throw new Error(`scale: ${bad.length} ${label} not applied, e.g. ${JSON.stringify(bad[0])}`);
}

/**
 * `runs` whole runs at once through one dispatcher: every request concurrently, then every
 * approve (+ escalate), then, the clock moved to expiry, every scheduled deescalate.
 */
async function point(stack: BenchStack, runs: number): Promise<ScalePoint> {
  const f = await stack.newFlow();
  const ids = Array.from({ length: runs }, (_, i) => `scale-${runs}-${i}`);
  global.gc?.();
  const phases: Record<string, number> = {};
  const { value: total, rss, heap } = await withPeakMemory(() =>
    timed(async () => {
      phases.request = (await timed(() => allApplied('requests', ids.map((runId, i) => f.dispatcher.handle(busEvent('request', { runId, actor: { username: `scale-${i}@example.com`, name: 'U' }, targetSrn: TARGET_SRN, duration: 600 })))))).ms;
      phases.approve = (await timed(() => allApplied('approves', ids.map((runId) => f.dispatcher.handle(busEvent('approve', { runId, actor: BOB })))))).ms;
      f.advance(600_000);
      phases.deescalate = (await timed(() =>
        allApplied('deescalates', ids.map((runId) => f.dispatcher.handle(busEvent('deescalate', { runId, actor: { username: 'lambda-escalation' }, deescalateType: 'scheduled' }, { source: SCHEDULER_EVENT_SOURCE })))),
      )).ms;
    }),
  );
  return { runs, ms: total.ms, phases, peakRssMb: rss / 1048576, peakHeapMb: heap / 1048576 };
}

export async function scale(stack: BenchStack): Promise<ScaleResult> {
  await point(stack, 20); // warm-up
  const small = await point(stack, 100);
  const large = await point(stack, 1000);
  const ratio = large.ms / small.ms;
  const rows = [small, large].map((p) => [
    p.runs,
    Number((p.ms / 1000).toFixed(2)),
    Number(((p.runs * 1000) / p.ms).toFixed(1)),
    `${(p.phases.request! / 1000).toFixed(2)} / ${(p.phases.approve! / 1000).toFixed(2)} / ${(p.phases.deescalate! / 1000).toFixed(2)}`,
    Number(p.peakRssMb.toFixed(0)),
    Number(p.peakHeapMb.toFixed(0)),
  ]);
  return {
    ratio,
    report: [
      'Scale: N concurrent runs through one dispatcher + dynalite + loopback Lambda endpoint (all in this process, 2 cores)',
      table([['runs', 'total s', 'runs/s', 'request / approve / deescalate s', 'peak RSS MB', 'peak heap MB'], ...rows]),
      `ratio of totals 1000/100: ${ratio.toFixed(2)} (linear = 10)`,
    ].join('\n'),
  };
}
