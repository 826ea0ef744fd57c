import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from './cli-process.js';

describe('npm start', () => {
  it('runs the demo flow end to end, one line per step with timings, and exits 0', async () => {
    const child = spawn('npm', ['start'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const killer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 30_000);
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(killer);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(Date.now() - started).toBeLessThan(30_000);
    const lines = stdout.split('\n');
    const runId = /^lambda-escalation demo: run (demo-[a-z0-9]+), flow "local", 3s of access to /m.exec(stdout)?.[1];
    expect(runId, stdout).toBeDefined();
    const step = (name: string, outcome: string) => new RegExp(`^\\+\\d+\\.\\d\\ds  ${name} +run ${runId} by [^:]+: ${outcome}  \\d+ ms$`);
    const expected = [
      step('request', 'applied, now requested \\[request\\]'),
      new RegExp(`^escalate: granted .* to alice@example.com for 3s as grant-${runId}-alice@example.com$`),
      new RegExp(`^afterEscalate: run ${runId} escalate returned body \\{"grantId":"grant-${runId}-alice@example.com",.*\\} and no errors$`),
      step('approve', 'applied, now escalated \\[approve, escalate_result\\]'),
      new RegExp(`^deescalate: revoked grant-${runId}-alice@example.com \\(scheduled\\)$`),
      new RegExp(`^afterDeescalate: run ${runId} deescalate returned body \\{"revoked":"grant-${runId}-alice@example.com",.*"reason":"scheduled"\\} and no errors$`),
      step('deescalate', 'applied, now deescalated \\[deescalate, deescalate_result\\]'),
      new RegExp(`^demo finished in \\d+\\.\\ds: run ${runId} deescalated$`),
    ];
    // In this order, each once.
    let from = 0;
    for (const pattern of expected) {
      const at = lines.findIndex((line, i) => i >= from && pattern.test(line));
      expect(at, `${pattern} after line ${from} in:\n${stdout}`).toBeGreaterThanOrEqual(0);
      from = at + 1;
    }
    // The deescalation comes after the 3 s of access, not before.
    const deescalatedAt = Number(/^\+(\d+\.\d\d)s  deescalate /m.exec(stdout)?.[1]);
    const approvedAt = Number(/^\+(\d+\.\d\d)s  approve /m.exec(stdout)?.[1]);
    expect(deescalatedAt - approvedAt).toBeGreaterThanOrEqual(2.9);
  });
});
