import { createServer } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLambdaInvokeServer, type LambdaInvokeServer } from '../../lambda/local/lambda-invoke-server.js';
import { LambdaFunctionInvoker } from '../../lambda/strategy/lambda-function-invoker.js';
import type { LambdaPayload } from '../../lambda/strategy/lambda-payload.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

const payload: LambdaPayload = {
  id: '00000000-0000-4000-8000-000000000001',
  type: 'event',
  meta: { schema_version: 6 },
  state: { status: 'processing', errors: [] },
  event: {
    srn: 'sym:event-spec:approval:1.0.0:escalate',
    type: 'escalate',
    template: 'sym:template:approval:1.0.0',
    timestamp: '2024-01-02T03:04:05.678000',
    channel: 'internal',
  },
  run: { srn: 'acme:run:db:1.0.0:r-1', parent: null, flow: 'acme:flow:db:1.0.0', actors: {} },
  actor: { user: 'acme:user:bob:latest', name: 'Bob', username: 'bob@example.com', identity: { service: 'lambda-escalation', external_id: 'local' } },
  fields: {
    reason: 'INC-1',
    duration: 60,
    target: { name: 'db', srn: 'acme:access_target:aws_lambda_function:db:latest', type: 'aws_lambda_function', label: 'DB', settings: {} },
    target_id: 'db',
  },
};

let server: LambdaInvokeServer;
let client: LambdaClient;
let invoker: LambdaFunctionInvoker;
const releaseSleepers: Array<() => void> = [];

beforeAll(async () => {
  server = await startLambdaInvokeServer({
    functions: {
      ok: (event) => ({ body: { got: (event as LambdaPayload).fields.reason ?? null }, errors: [] }),
      apigw: () => ({ statusCode: 200, body: JSON.stringify({ grantId: 'g-1' }) }),
      throws: () => {
        throw new TypeError('no grant for you');
      },
      refuses: () => ({ body: { partial: true }, errors: ['user is not in the directory'] }),
      sleeps: () => new Promise((resolve) => releaseSleepers.push(() => resolve({ body: 'late', errors: [] }))),
    },
  });
  // maxAttempts 2 keeps the throttling test fast: one retry, then the SDK gives up.
  client = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });
  invoker = new LambdaFunctionInvoker({ client, timeoutMs: 200 });
});

afterEach(() => {
  server.faults.throttleNext(0);
  for (const release of releaseSleepers.splice(0)) release();
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

describe('LambdaFunctionInvoker', () => {
  it('returns { body, errors } of a function that succeeds, having sent it the payload', async () => {
    await expect(invoker.invoke('ok', payload)).resolves.toEqual({ body: { got: 'INC-1' }, errors: [] });
    expect(server.invocations.at(-1)).toMatchObject({ functionName: 'ok', payload });
  });

  it('accepts a full ARN as the function name', async () => {
    const output = await invoker.invoke('arn:aws:lambda:us-east-1:123456789012:function:ok', payload);
    expect(output).toEqual({ body: { got: 'INC-1' }, errors: [] });
  });

  it('parses an API-Gateway style string body', async () => {
    await expect(invoker.invoke('apigw', payload)).resolves.toEqual({ body: { grantId: 'g-1' }, errors: [] });
  });

  it('reports a function error with the function, the error type and message', async () => {
    await expect(invoker.invoke('throws', payload)).resolves.toEqual({
      body: null,
      errors: ['function "throws" failed (Unhandled): TypeError: no grant for you'],
    });
  });

  it('passes on errors the function returned, untouched, with its body', async () => {
    await expect(invoker.invoke('refuses', payload)).resolves.toEqual({
      body: { partial: true },
      errors: ['user is not in the directory'],
    });
  });

  // The SDK backs off for about half a second before retrying a throttle, and timeoutMs
  // covers its retries, so these two need more than the 200 ms the others use.
  it('reports throttling once the SDK has used its retries', async () => {
    server.faults.throttleNext(2);
    const before = server.invocations.length;
    await expect(patient().invoke('ok', payload)).resolves.toEqual({
      body: null,
      errors: ['function "ok" was throttled after 2 attempts (TooManyRequestsException: Rate Exceeded.); it did not run'],
    });
    expect(server.invocations.length).toBe(before);
  });

  it('succeeds when the SDK retry gets past one throttle', async () => {
    server.faults.throttleNext(1);
    await expect(patient().invoke('ok', payload)).resolves.toEqual({ body: { got: 'INC-1' }, errors: [] });
  });

  it('aborts a function that runs past timeoutMs', async () => {
    const started = Date.now();
    await expect(invoker.invoke('sleeps', payload)).resolves.toEqual({
      body: null,
      errors: ['function "sleeps" did not answer within 200 ms, so the invocation was aborted; it may still have run'],
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports an unknown function as not found', async () => {
    await expect(invoker.invoke('missing', payload)).resolves.toEqual({
      body: null,
      errors: [
        'function "missing" was not found (ResourceNotFoundException: Function not found: missing); check the flow\'s function name or ARN and region',
      ],
    });
  });

  it('reports an endpoint that refuses connections as unreachable', async () => {
    const port = await closedPort();
    const offline = new LambdaFunctionInvoker({
      clientConfig: { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, maxAttempts: 1 },
    });
    const output = await offline.invoke('ok', payload);
    expect(output.body).toBeNull();
    expect(output.errors).toHaveLength(1);
    expect(output.errors[0]).toMatch(/^function "ok" could not be reached \(ECONNREFUSED: .*\); it may still have run/);
  });

  it('refuses both client and clientConfig', () => {
    expect(() => new LambdaFunctionInvoker({ client, clientConfig: {} })).toThrow(
      'LambdaFunctionInvoker: got both `client` and `clientConfig`; pass `client` to use your own client, or `clientConfig` to have one built, not both',
    );
  });

  it('refuses a timeoutMs that is not a positive number', () => {
    expect(() => new LambdaFunctionInvoker({ client, timeoutMs: 0 })).toThrow(
      'LambdaFunctionInvoker: `timeoutMs` must be a positive number of milliseconds, got 0',
    );
  });
});

function patient(): LambdaFunctionInvoker {
  return new LambdaFunctionInvoker({ client, timeoutMs: 10_000 });
}

/** A loopback port nothing listens on: bound, read, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
