import {
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  functionNameOf,
  startLambdaInvokeServer,
  type LambdaInvokeContext,
  type LambdaInvokeServer,
} from '../../lambda/local/lambda-invoke-server.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const decode = (payload: Uint8Array | undefined): unknown => JSON.parse(new TextDecoder().decode(payload));

let server: LambdaInvokeServer;
let client: LambdaClient;
let seenContext: { functionName: string; awsRequestId: string; remaining: number } | undefined;

beforeAll(async () => {
  server = await startLambdaInvokeServer({
    functions: {
      echo: async (event: unknown, context: LambdaInvokeContext) => {
        seenContext = { functionName: context.functionName, awsRequestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() };
        return { echoed: event };
      },
      nothing: () => undefined,
      fails: () => {
        throw new RangeError('out of range');
      },
    },
    functionTimeoutMs: 5_000,
  });
  client = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

describe('startLambdaInvokeServer', () => {
  it('listens on a free loopback port', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('answers the real LambdaClient with the handler result, as $LATEST', async () => {
    const response = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: encode({ a: 1 }) }));
    expect(response.StatusCode).toBe(200);
    expect(response.ExecutedVersion).toBe('$LATEST');
    expect(response.FunctionError).toBeUndefined();
    expect(decode(response.Payload)).toEqual({ echoed: { a: 1 } });
    expect(seenContext?.functionName).toBe('echo');
    expect(seenContext?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seenContext?.remaining).toBeGreaterThan(4_000);
    expect(server.invocations.at(-1)).toMatchObject({ functionName: 'echo', payload: { a: 1 } });
    expect(server.invocations.at(-1)?.at).toBeInstanceOf(Date);
  });

  it('matches a full ARN, with a qualifier, by the function name', async () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:echo:live';
    const response = await client.send(new InvokeCommand({ FunctionName: arn, Payload: encode('x') }));
    expect(decode(response.Payload)).toEqual({ echoed: 'x' });
    expect(server.invocations.at(-1)?.functionName).toBe('echo');
  });

  it('gives an empty payload as {} and undefined back as null', async () => {
    const response = await client.send(new InvokeCommand({ FunctionName: 'nothing' }));
    expect(decode(response.Payload)).toBeNull();
    expect(server.invocations.at(-1)?.payload).toEqual({});
  });

  it('reports a throw as an Unhandled function error with the runtime payload', async () => {
    const response = await client.send(new InvokeCommand({ FunctionName: 'fails', Payload: encode({}) }));
    expect(response.StatusCode).toBe(200);
    expect(response.FunctionError).toBe('Unhandled');
    const body = decode(response.Payload) as { errorType: string; errorMessage: string; stackTrace: string[] };
    expect(body.errorType).toBe('RangeError');
    expect(body.errorMessage).toBe('out of range');
    expect(body.stackTrace.length).toBeGreaterThan(0);
  });

  it('answers an unknown function as the SDK ResourceNotFoundException', async () => {
    const error = await client.send(new InvokeCommand({ FunctionName: 'nope', Payload: encode({}) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).message).toBe('Function not found: nope');
    expect((error as ResourceNotFoundException).Type).toBe('User');
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
  });

  it('throttles the next requests with TooManyRequestsException', async () => {
    server.faults.throttleNext(1);
    const before = server.invocations.length;
    const error = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: encode({}) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRequestsException);
    expect((error as TooManyRequestsException).Reason).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    expect((error as TooManyRequestsException).$metadata.httpStatusCode).toBe(429);
    expect(server.invocations.length).toBe(before);
    const after = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: encode({}) }));
    expect(after.StatusCode).toBe(200);
  });

  it('delays the next request', async () => {
    server.faults.delayNextMs(150);
    const started = Date.now();
    await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: encode({}) }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('serves a function set after start, and Event and DryRun invocations', async () => {
    let calls = 0;
    server.setFunction('late', () => {
      calls += 1;
      return 'ok';
    });
    const dryRun = await client.send(new InvokeCommand({ FunctionName: 'late', InvocationType: 'DryRun' }));
    expect(dryRun.StatusCode).toBe(204);
    expect(calls).toBe(0);
    const event = await client.send(new InvokeCommand({ FunctionName: 'late', InvocationType: 'Event', Payload: encode({}) }));
    expect(event.StatusCode).toBe(202);
    const sync = await client.send(new InvokeCommand({ FunctionName: 'late', Payload: encode({}) }));
    expect(decode(sync.Payload)).toBe('ok');
    expect(calls).toBe(2);
  });

  it('answers a handler that runs past its timeout as Lambda does', async () => {
    const quick = await startLambdaInvokeServer({ functions: { slow: () => new Promise(() => {}) }, functionTimeoutMs: 100 });
    const quickClient = new LambdaClient({ endpoint: quick.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    try {
      const response = await quickClient.send(new InvokeCommand({ FunctionName: 'slow', Payload: encode({}) }));
      expect(response.FunctionError).toBe('Unhandled');
      expect(decode(response.Payload)).toMatchObject({
        errorType: 'Sandbox.Timedout',
        errorMessage: expect.stringMatching(/Task timed out after 0\.10 seconds$/) as unknown,
      });
    } finally {
      quickClient.destroy();
      await quick.stop();
    }
  });

  it('refuses a body that is not JSON', async () => {
    const response = await fetch(`${server.endpoint}/2015-03-31/functions/echo/invocations`, { method: 'POST', body: '{nope' });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
  });

  it('stops, closing kept-alive connections', async () => {
    const other = await startLambdaInvokeServer({ functions: { echo: () => 1 } });
    const otherClient = new LambdaClient({ endpoint: other.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    await otherClient.send(new InvokeCommand({ FunctionName: 'echo' }));
    await other.stop();
    await other.stop();
    await expect(fetch(other.endpoint)).rejects.toThrow();
    otherClient.destroy();
  });
});

describe('functionNameOf', () => {
  it.each([
    ['my-fn', 'my-fn'],
    ['my-fn:live', 'my-fn'],
    ['123456789012:function:my-fn', 'my-fn'],
    ['arn:aws:lambda:us-east-1:123456789012:function:my-fn', 'my-fn'],
    ['arn:aws:lambda:us-east-1:123456789012:function:my-fn:7', 'my-fn'],
  ])('%s -> %s', (given, name) => {
    expect(functionNameOf(given)).toBe(name);
  });
});
