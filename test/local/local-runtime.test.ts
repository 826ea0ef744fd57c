import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../lambda/local/control-client.js';
import { LocalConfigError } from '../../lambda/local/errors.js';
import { DEFAULT_TARGETS, startLocalRuntime, type LocalRuntime } from '../../lambda/local/local-runtime.js';

let dir: string;
const running: LocalRuntime[] = [];
const TARGET = DEFAULT_TARGETS[0]!.srn;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'local-runtime-test-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startLocalRuntime>[0] = {}): Promise<{ runtime: LocalRuntime; lines: string[] }> {
  const lines: string[] = [];
  const runtime = await startLocalRuntime({ log: (line) => lines.push(line), ...options });
  running.push(runtime);
  return { runtime, lines };
}

describe('startLocalRuntime', () => {
  it('runs the examples by default and serves runs with their lifecycle events on the control API', async () => {
    const { runtime, lines } = await start({ flow: { vars: { approvers: 'bob@example.com' } } });
    expect(runtime.flow).toMatchObject({ name: 'local', escalateFunction: 'escalate', deescalateFunction: 'deescalate', vars: { approvers: 'bob@example.com' } });
    expect(runtime.flow.targets.map((t) => t.srn)).toEqual(DEFAULT_TARGETS.map((t) => t.srn));
    expect(runtime.files.hooks).toMatch(/lambda\/examples\/hooks\.ts$/);

    const client = new ControlClient({ endpoint: runtime.endpoint });
    await client.fire({ step: 'request', runId: 'r-1', actor: { username: 'alice@example.com' }, targetSrn: TARGET, duration: '1h' });
    // The example hooks read approvers from the flow's vars: carol is refused.
    const carol = await client.fire({ step: 'approve', runId: 'r-1', actor: { username: 'carol@example.com' } });
    expect(carol.outcome.result).toMatchObject({ status: 'refused', code: 'not_an_approver' });
    const bob = await client.fire({ step: 'approve', runId: 'r-1', actor: { username: 'bob@example.com' } });
    expect(bob.outcome).toMatchObject({ status: 'done', attempts: 1, result: { status: 'applied', state: 'escalated' } });
    expect(bob.run?.outputs.escalate?.body).toMatchObject({ grantId: 'grant-r-1-alice@example.com', expiresInSeconds: 3600 });
    expect(bob.run?.lifecycle.map((e) => e.type)).toEqual(['escalation.requested', 'escalation.approved', 'escalation.escalated']);
    expect(bob.run && 'processedEventIds' in bob.run).toBe(false);
    expect(lines.filter((l) => l.startsWith('lifecycle'))).toHaveLength(3);
    expect(lines).toContainEqual(expect.stringMatching(/^approve     run r-1 by carol@example.com: REFUSED \(not_an_approver\): /));

    expect((await client.runs()).map((r) => r.runId)).toEqual(['r-1']);
    expect(await client.runs({ state: 'requested' })).toEqual([]);
  });

  it('re-arms the deescalation of an escalated run when started again on the same data folder', async () => {
    const dataDir = path.join(dir, 'rearm');
    const first = await start({ dataDir });
    const client = new ControlClient({ endpoint: first.runtime.endpoint });
    await client.fire({ step: 'request', runId: 'r-2', actor: { username: 'alice@example.com' }, targetSrn: TARGET, duration: 2 });
    const { run } = await client.fire({ step: 'approve', runId: 'r-2', actor: { username: 'bob@example.com' } });
    await first.runtime.stop();
    expect(first.lines.some((l) => l.startsWith('deescalate'))).toBe(false);

    const second = await start({ dataDir });
    expect(second.runtime.rearmed).toEqual([{ runId: 'r-2', step: 'deescalate', at: new Date(run?.expiresAt as string) }]);
    const ended = await second.runtime.waitForRun('r-2', (r) => r.state === 'deescalated', 5_000);
    expect(Date.parse(ended.outputs.deescalate?.at as string) - Date.parse(run?.expiresAt as string)).toBeLessThan(1_000);
    expect(ended.deescalateType).toBe('scheduled');
  });

  it('refuses an invalid flow override or targets file before starting anything', async () => {
    await expect(startLocalRuntime({ flow: { name: 'has space' }, log: () => undefined })).rejects.toThrow(
      new LocalConfigError('the local flow configuration is invalid: name: flow name must match ^[a-zA-Z0-9-_]+$'),
    );
    const targets = path.join(dir, 'targets.json');
    await writeFile(targets, '[]');
    await expect(startLocalRuntime({ targetsFile: targets, log: () => undefined })).rejects.toBeInstanceOf(LocalConfigError);
  });
});
