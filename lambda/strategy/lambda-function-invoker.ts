import { InvokeCommand, LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { AdapterConfigurationError } from '../adapter-errors.js';
import type { StepOutput } from '../sdk/step-output.js';
import type { FunctionInvoker } from './function-invoker.js';
import { parseFunctionResponse } from './function-response.js';
import type { LambdaPayload } from './lambda-payload.js';

export interface LambdaFunctionInvokerProps {
  /** The client to invoke with. Give this or `clientConfig`, not both. @default - a client built from `clientConfig` */
  readonly client?: LambdaClient;
  /** Configuration for the client built when no `client` is given. @default {} - the SDK's defaults */
  readonly clientConfig?: LambdaClientConfig;
  /**
   * How long one invocation may take, the SDK's retries included, before the request is
   * aborted. Keep it above the function's own timeout, so a slow function fails with
   * Lambda's timeout error rather than ours.
   * @default 60000
   */
  readonly timeoutMs?: number;
}

/**
 * Invokes the user's escalate/deescalate functions with the AWS Lambda Invoke API,
 * synchronously (`RequestResponse`), and reports every way an invocation can fail as a
 * {@link StepOutput} with `errors`, naming the function: the engine saves it and fails
 * closed. `invoke` never throws.
 *
 * A timeout or a lost connection does not mean the function did nothing: it may have run
 * (and granted access). The message says so; the engine's compensating deescalate covers it.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-retries.html
 */
export class LambdaFunctionInvoker implements FunctionInvoker {
  private readonly client: LambdaClient;
  private readonly timeoutMs: number;

  public constructor(props: LambdaFunctionInvokerProps = {}) {
    if (props.client && props.clientConfig) {
      throw new AdapterConfigurationError(
        'LambdaFunctionInvoker: got both `client` and `clientConfig`; pass `client` to use your own client, or `clientConfig` to have one built, not both',
      );
    }
    const timeoutMs = props.timeoutMs ?? 60_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new AdapterConfigurationError(`LambdaFunctionInvoker: \`timeoutMs\` must be a positive number of milliseconds, got ${String(timeoutMs)}`);
    }
    this.timeoutMs = timeoutMs;
    this.client = props.client ?? new LambdaClient(props.clientConfig ?? {});
  }

  public async invoke(functionName: string, payload: LambdaPayload): Promise<StepOutput> {
    const fn = JSON.stringify(functionName);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const response = await this.client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
        { abortSignal: controller.signal },
      );
      const output = parseFunctionResponse(response.Payload, response.FunctionError);
      if (response.FunctionError) {
        // Only the function's own failure is prefixed; `errors` it returned are its words for the user.
        return { body: null, errors: output.errors.map((error) => `function ${fn} failed (${response.FunctionError}): ${error}`) };
      }
      return output;
    } catch (error) {
      return { body: null, errors: [describeInvokeFailure(fn, error, controller.signal.aborted, this.timeoutMs)] };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Error codes of Node's sockets that mean the endpoint could not be reached or dropped us. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
]);

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly attempts?: number; readonly httpStatusCode?: number };
}

function describeInvokeFailure(fn: string, error: unknown, timedOut: boolean, timeoutMs: number): string {
  const e: ErrorLike = typeof error === 'object' && error !== null ? (error as ErrorLike) : {};
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(error);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const attempts = e.$metadata?.attempts;
  const tried = attempts && attempts > 1 ? ` after ${attempts} attempts` : '';

  if (timedOut) {
    return `function ${fn} did not answer within ${timeoutMs} ms, so the invocation was aborted; it may still have run`;
  }
  switch (name) {
    case 'TooManyRequestsException':
      return `function ${fn} was throttled${tried} (TooManyRequestsException: ${message}); it did not run`;
    case 'ResourceNotFoundException':
      return `function ${fn} was not found (ResourceNotFoundException: ${message}); check the flow's function name or ARN and region`;
  }
  if (code && NETWORK_ERROR_CODES.has(code)) {
    return `function ${fn} could not be reached${tried} (${code}: ${message}); it may still have run if the connection dropped mid-call`;
  }
  return `invoking function ${fn} failed${tried} (${name}: ${message})`;
}
