import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../lambda/local/run-view.js';
import { CliProcess, freePort, runCli } from './cli-process.js';

const TARGET = 'lambda-escalation:access_target:aws_lambda_function:prod-db:latest';

let dir: string;
const started: CliProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-restart-test-'));
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.kill()));
  await rm(dir, { recursive: true, force: true });
});

function serve(port: number, launcher: 'tsx' | 'bin'): CliProcess {
  const p = new CliProcess(['serve', '--port', String(port), '--data', path.join(dir, 'data')], launcher);
  started.push(p);
  return p;
}

async function show(port: number, runId: string): Promise<RunView> {
  const result = await runCli(['show', runId, '--json', '--port', String(port)]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as RunView;
}

describe('serve restarted mid-escalation', () => {
  it('re-arms the deescalation from the data folder and revokes on time, with the escalate output', async () => {
    const port = await freePort();
    // The package's bin (node bin/cli.js) first, killed outright as by a crash.
    const first = serve(port, 'bin');
    await first.waitForLine(/^listening on /);
    const runId = 'r-restart';
    const fire = (...args: string[]) => runCli(['fire', ...args, '--run', runId, '--port', String(port)]);
    expect((await fire('request', '--actor', 'alice@example.com', '--target', TARGET, '--duration', '6')).code).toBe(0);
    expect((await fire('approve', '--actor', 'bob@example.com')).code).toBe(0);
    const escalated = await show(port, runId);
    expect(escalated.state).toBe('escalated');
    const expiresAt = Date.parse(escalated.expiresAt as string);
    expect(expiresAt - Date.now()).toBeGreaterThan(2_000);

    await first.stop('SIGKILL');
    expect(first.stdout).not.toContain('deescalated');

    const second = serve(port, 'tsx');
    const rearmed = await second.waitForLine(new RegExp(`re-armed +deescalate run ${runId} at ${escalated.expiresAt}`));
    expect(rearmed).toMatch(/\(in \d+\.\ds\)$/);
    await second.waitForLine(/^listening on /);
    expect(second.stdout).toContain('pending deescalations re-armed: 1');

    await second.waitForLine(new RegExp(`deescalate +run ${runId} by scheduler: applied, now deescalated`), 15_000);
    const ended = await show(port, runId);
    expect(ended.state).toBe('deescalated');
    const revokedAt = Date.parse(ended.outputs.deescalate?.at as string);
    expect(revokedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(revokedAt).toBeLessThanOrEqual(expiresAt + 2_000);
    // The example deescalate revokes what escalate granted, which it reads from outputs.escalate.
    const grant = (escalated.outputs.escalate?.body as { grantId: string }).grantId;
    expect(grant).toBe(`grant-${runId}-alice@example.com`);
    expect(ended.outputs.deescalate?.body).toMatchObject({ revoked: grant, reason: 'scheduled' });
    expect(ended.deescalateType).toBe('scheduled');
    expect(await second.stop('SIGINT')).toBe(0);
  });

  it('fires an overdue deescalation at once on start', async () => {
    const port = await freePort();
    const first = serve(port, 'tsx');
    await first.waitForLine(/^listening on /);
    const runId = 'r-overdue';
    const fire = (...args: string[]) => runCli(['fire', ...args, '--run', runId, '--port', String(port)]);
    expect((await fire('request', '--actor', 'alice@example.com', '--target', TARGET, '--duration', '2')).code).toBe(0);
    expect((await fire('approve', '--actor', 'bob@example.com')).code).toBe(0);
    // Crashed before the timer fires: the run stays escalated while its expiry passes.
    await first.stop('SIGKILL');
    expect(first.stdout).not.toMatch(/deescalate +run r-overdue/);
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const second = serve(port, 'tsx');
    await second.waitForLine(/re-armed +deescalate run r-overdue at .* \(overdue by \d+\.\ds: now\)$/);
    await second.waitForLine(/deescalate +run r-overdue by scheduler: applied, now deescalated/, 10_000);
  });
});
