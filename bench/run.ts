// `npm run bench`: every benchmark, a table each, and one machine-readable line last.
import { startBenchStack } from './bench-stack.js';
import { callsPerRun } from './calls-per-run.js';
import { coldStart } from './cold-start.js';
import { overheadRatio } from './overhead-ratio.js';
import { scale } from './scale.js';

const OVERHEAD_ITERATIONS = Number(process.env.BENCH_OVERHEAD_ITERATIONS ?? 200);

const stack = await startBenchStack();
let summary = '';
try {
  const started = performance.now();
  const calls = await callsPerRun(stack);
  console.log(`${calls.report}\n`);
  // The recorder keeps every call; past the call count it only costs memory and time.
  stack.recorder.reset();
  const overhead = await overheadRatio(stack, OVERHEAD_ITERATIONS);
  console.log(`${overhead.report}\n`);
  stack.recorder.enabled = false;
  stack.recorder.reset();
  const scaled = await scale(stack);
  console.log(`${scaled.report}\n`);
  const cold = await coldStart();
  console.log(`${cold.report}\n`);
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  summary = `calls_per_run=${calls.callsPerRun} overhead_ratio=${overhead.ratio.toFixed(3)} cost_per_run_usd=${calls.costPerRun.toFixed(8)} scale_ratio=${scaled.ratio.toFixed(2)}`;
} finally {
  await stack.stop();
}
console.log(summary);
