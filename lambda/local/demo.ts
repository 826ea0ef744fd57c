import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TERMINAL_STATES, type RunRecord } from '../engine/run.js';
import { ControlClient, type FireResult } from './control-client.js';
import { DEFAULT_TARGETS, startLocalRuntime } from './local-runtime.js';

export interface DemoOptions {
  /** Where the demo's lines go. @default console.log */
  readonly log?: (line: string) => void;
  /** Seconds of access the demo requests. @default 3 */
  readonly durationSeconds?: number;
  /** How long the demo may take before it gives up. @default 30000 */
  readonly timeoutMs?: number;
}

export interface DemoResult {
  readonly run: RunRecord;
  readonly ms: number;
}

const REQUESTER = { username: 'alice@example.com', name: 'Alice' };
const APPROVER = { username: 'bob@example.com', name: 'Bob' };

/**
 * `npm start`: one whole run through local mode, with the example Lambdas and hooks, on a
 * free port and a temporary data folder that is removed afterwards. The events go in
 * through the PutEvents endpoint with the real EventBridge client, as `fire` sends them.
 *
 * @throws Error when the run does not end deescalated
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const print = options.log ?? ((line: string) => console.log(line));
  const durationSeconds = options.durationSeconds ?? 3;
  const started = Date.now();
  const log = (line: string): void => print(`+${((Date.now() - started) / 1000).toFixed(2)}s  ${line}`);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lambda-escalation-demo-'));
  const runId = `demo-${started.toString(36)}`;
  const target = DEFAULT_TARGETS[0]!;

  const runtime = await startLocalRuntime({ port: 0, dataDir, log });
  try {
    print(`lambda-escalation demo: run ${runId}, flow "${runtime.flow.name}", ${durationSeconds}s of access to ${target.srn}`);
    print(`  events (PutEvents) ${runtime.endpoint} · DynamoDB (dynalite) ${runtime.dynamodbEndpoint} · Lambda ${runtime.lambdaEndpoint}`);
    print(`  hooks ${path.relative(process.cwd(), runtime.files.hooks)} · escalate ${path.relative(process.cwd(), runtime.files.escalate)} · deescalate ${path.relative(process.cwd(), runtime.files.deescalate)}`);
    const client = new ControlClient({ endpoint: runtime.endpoint });

    log(`${REQUESTER.username} requests ${durationSeconds}s of access`);
    expectApplied(
      await client.fire({ step: 'request', runId, actor: REQUESTER, targetSrn: target.srn, duration: durationSeconds, fields: { reason: 'demo' } }),
    );
    log(`${APPROVER.username} approves; escalate runs at once`);
    expectApplied(await client.fire({ step: 'approve', runId, actor: APPROVER }));
    log(`waiting ${durationSeconds}s for the scheduled deescalation`);

    const run = await runtime.waitForRun(runId, (r) => TERMINAL_STATES.includes(r.state), options.timeoutMs ?? 30_000);
    if (run.state !== 'deescalated') {
      throw new Error(`demo run ${runId} ended ${run.state}, not deescalated: ${JSON.stringify(run.history.at(-1))}`);
    }
    const ms = Date.now() - started;
    log(`done: run ${runId} is ${run.state}; escalated ${run.escalatedAt}, expired ${run.expiresAt}, revoked ${run.outputs.deescalate?.at}`);
    return { run, ms };
  } finally {
    await runtime.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function expectApplied(result: FireResult): void {
  const r = result.outcome.result;
  if (result.outcome.status !== 'done' || !r || !('status' in r) || r.status !== 'applied') {
    throw new Error(`demo event ${result.outcome.step} was not applied: ${JSON.stringify(result.outcome)}`);
  }
}
