import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary, RunView } from '../../lambda/local/run-view.js';
import { CliProcess, REPO, freePort, runCli } from './cli-process.js';

const TARGET = 'acme:access_target:aws_lambda_function:custom-db:latest';
const SDK = path.join(REPO, 'lambda/sdk/index.js');

let dir: string;
let port: number;
let serve: CliProcess;
let events: EventBridgeClient;

// A user's own files, outside the repo: a TypeScript hooks module in a folder without
// "type": "module" (so it loads as CommonJS), an ES module escalate in JavaScript, a
// TypeScript deescalate, and a targets file.
const FILES: Record<string, string> = {
  'hooks.ts': [
    `import { ApprovalTemplate, ApprovalTemplateStep, defineHooks, getStepOutput, type Event } from ${JSON.stringify(SDK)};`,
    'export default defineHooks({',
    '  onRequest(event: Event) {',
    "    if (event.payload.fields.reason === 'skip') return ApprovalTemplate.ignore({ message: 'a reason is required' });",
    '    return undefined;',
    '  },',
    '  async afterEscalate(event: Event) {',
    '    const output = await getStepOutput(ApprovalTemplateStep.ESCALATE);',
    '    console.log(`custom afterEscalate ${event.run.id} ${JSON.stringify(output)}`);',
    '  },',
    '});',
    '',
  ].join('\n'),
  'escalate.mjs': [
    'export const handler = async (event) => ({',
    "  body: { token: `tok-${event.run.srn.split(':').pop()}`, grantee: event.run.actors.request.username, label: event.fields.target.label, settings: event.fields.target.settings },",
    '  errors: [],',
    '});',
    '',
  ].join('\n'),
  'deescalate.ts': [
    'interface Payload { readonly outputs?: { readonly escalate?: { readonly body: unknown; readonly errors: readonly string[] } } }',
    'export const handler = async (event: Payload): Promise<{ body: { sawEscalate: unknown }; errors: string[] }> => ({',
    '  body: { sawEscalate: event.outputs?.escalate ?? null },',
    '  errors: [],',
    '});',
    '',
  ].join('\n'),
  'targets.json': JSON.stringify([{ srn: TARGET, label: 'Custom DB', settings: { arn: 'arn:aws:rds:eu-west-1:111111111111:db:custom' } }]),
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-serve-test-'));
  for (const [name, text] of Object.entries(FILES)) await writeFile(path.join(dir, name), text);
  port = await freePort();
  serve = new CliProcess([
    'serve',
    '--port', String(port),
    '--data', path.join(dir, 'data'),
    '--hooks', path.join(dir, 'hooks.ts'),
    '--escalate', path.join(dir, 'escalate.mjs'),
    '--deescalate', path.join(dir, 'deescalate.ts'),
    '--targets', path.join(dir, 'targets.json'),
  ]);
  await serve.waitForLine(/^listening on /);
  events = new EventBridgeClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  events?.destroy();
  await serve?.kill();
  await rm(dir, { recursive: true, force: true });
});

async function put(step: string, detail: Record<string, unknown>) {
  return events.send(new PutEventsCommand({ Entries: [{ Source: 'lambda-escalation', DetailType: step, Detail: JSON.stringify(detail) }] }));
}

async function showJson(runId: string): Promise<RunView> {
  const result = await runCli(['show', runId, '--json', '--port', String(port)]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as RunView;
}

describe('serve with custom hooks, handlers and targets', () => {
  it('prints its endpoints', () => {
    expect(serve.stdout).toContain(`events (EventBridge PutEvents) + control API  http://127.0.0.1:${port}`);
    expect(serve.stdout).toMatch(/DynamoDB \(dynalite\) +http:\/\/127\.0\.0\.1:\d+ +data in /);
    expect(serve.stdout).toMatch(/Lambda Invoke +http:\/\/127\.0\.0\.1:\d+ +escalate = .*escalate\.mjs, deescalate = .*deescalate\.ts/);
    expect(serve.stdout).toContain(`    ${TARGET}  Custom DB`);
  });

  it('runs a whole flow from PutEvents: the custom Lambdas, hook and targets, read back with show --json', async () => {
    const runId = 'r-custom';
    const requested = await put('request', { runId, actor: { username: 'alice@example.com', name: 'Alice' }, targetSrn: TARGET, duration: 2, fields: { reason: 'INC-7' } });
    expect(requested.FailedEntryCount).toBe(0);
    expect(requested.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    // PutEvents answers after the dispatcher is done, so the next event sees this one.
    const approved = await put('approve', { runId, actor: { username: 'bob@example.com' } });
    expect(approved.FailedEntryCount).toBe(0);

    const escalated = await showJson(runId);
    expect(escalated).toMatchObject({ runId, state: 'escalated', duration: 2, target: { srn: TARGET, label: 'Custom DB' } });
    const escalateOutput = {
      body: { token: `tok-${runId}`, grantee: 'alice@example.com', label: 'Custom DB', settings: { arn: 'arn:aws:rds:eu-west-1:111111111111:db:custom' } },
      errors: [],
    };
    expect(escalated.outputs.escalate).toMatchObject(escalateOutput);
    expect(serve.stdout).toContain(`custom afterEscalate ${runId} ${JSON.stringify(escalateOutput)}`);

    await serve.waitForLine(new RegExp(`deescalate +run ${runId} by scheduler: applied, now deescalated`), 10_000);
    const ended = await showJson(runId);
    expect(ended.state).toBe('deescalated');
    expect(ended.outputs.deescalate).toMatchObject({ body: { sawEscalate: escalateOutput }, errors: [] });
    expect(ended.history.map((h) => `${h.step}:${h.outcome}`)).toEqual([
      'request:accepted',
      'approve:accepted',
      'escalate_result:succeeded',
      'deescalate:accepted',
      'deescalate_result:succeeded',
    ]);
    expect(ended.lifecycle.map((e) => e.type)).toEqual(['escalation.requested', 'escalation.approved', 'escalation.escalated', 'escalation.deescalated']);
    expect(serve.stdout).toMatch(new RegExp(`approve +run ${runId} by bob@example.com: applied, now escalated \\[approve, escalate_result\\]  \\d+ ms`));
  });

  it('gives a malformed Detail a per-entry error, as EventBridge does, and accepts the other entries', async () => {
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'lambda-escalation', DetailType: 'request', Detail: '{not json' },
          { Source: 'lambda-escalation', DetailType: 'approve', Detail: JSON.stringify({ runId: 'nobody', actor: { username: 'bob@example.com' } }) },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(result.Entries?.[0]?.ErrorMessage).toMatch(/^Detail is malformed: it is not JSON/);
    expect(result.Entries?.[1]?.EventId).toBeDefined();
    // Accepted by the bus, refused by the engine: the serve's log says why.
    await serve.waitForLine(/approve +run nobody by bob@example.com: REFUSED \(unknown_run\)/);
  });

  it('fire sends an event and prints what became of it; refusals exit 1 with the reason', async () => {
    const [applied, refused, ignored] = await Promise.all([
      runCli(['fire', 'request', '--run', 'r-fire', '--actor', 'carol@example.com', '--target', TARGET, '--duration', '10m', '--field', 'reason=INC-9', '--port', String(port)]),
      runCli(['fire', 'request', '--run', 'r-bad-target', '--actor', 'carol@example.com', '--target', 'acme:access_target:aws_lambda_function:nope:latest', '--port', String(port)]),
      runCli(['fire', 'request', '--run', 'r-skip', '--actor', 'carol@example.com', '--target', TARGET, '--field', 'reason=skip', '--port', String(port)]),
    ]);
    expect(applied.stdout).toMatch(/^request run r-fire: applied in \d+ ms, now requested \[request\]\n$/);
    expect(applied.code).toBe(0);

    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^request run r-bad-target: refused \(unknown_target\): .*acme:access_target:aws_lambda_function:nope:latest/);

    expect(ignored.code).toBe(0);
    expect(ignored.stdout).toMatch(/^request run r-skip: ignored by a hook in \d+ ms: a reason is required\n$/);

    const listed = await runCli(['list', '--json', '--port', String(port)]);
    expect(listed.code).toBe(0);
    const { runs } = JSON.parse(listed.stdout) as { runs: RunSummary[] };
    const ids = runs.map((r) => r.runId);
    expect(ids.indexOf('r-custom')).toBeGreaterThan(ids.indexOf('r-fire'));
    expect(runs.find((r) => r.runId === 'r-fire')).toMatchObject({ state: 'requested', requester: 'carol@example.com', targetSrn: TARGET, duration: 600 });
    expect(ids).not.toContain('r-bad-target');

    const deescalated = await runCli(['list', '--state', 'deescalated', '--port', String(port)]);
    expect(deescalated.code).toBe(0);
    expect(deescalated.stdout.split('\n')[0]).toMatch(/^RUN +STATE +REQUESTER +CREATED +TARGET$/);
    expect(deescalated.stdout).toMatch(/\nr-custom +deescalated +alice@example.com /);
    expect(deescalated.stdout).not.toContain('r-fire');
  });

  it('show prints the run for people, and says clearly when there is no such run', async () => {
    const [text, missing] = await Promise.all([runCli(['show', 'r-custom', '--port', String(port)]), runCli(['show', 'no-such-run', '--port', String(port)])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^run r-custom: deescalated/);
    for (const line of ['  requester   alice@example.com (Alice) at ', `  target      ${TARGET}  Custom DB`, '  duration    2s (2 s)', '  expiry      ', 'outputs', '  escalate    ', '  deescalate  ', 'history']) {
      expect(text.stdout).toContain(line);
    }
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'lambda-escalation: run "no-such-run" not found: no run with that id in this local runtime (list shows the runs there are)\n',
    );
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(serve.stdout).toMatch(/SIGTERM: stopping .*\nstopped\n$/);
    expect(serve.stderr).toBe('');
  });
});
