import { gunzipSync } from 'node:zlib';
import { InternalServerError, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { ServiceException, TooManyRequestsException } from '@aws-sdk/client-lambda';
import type {
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  MetadataBearer,
} from '@smithy/types';
import type { RunRecord } from '../../lambda/engine/run.js';
import { operationOf, serviceOf, type SdkClientLike } from './sdk-call-recorder.js';
import type { SeededRandom } from './seeded-random.js';

/**
 * - `throttle`: refused before it reached the service (DynamoDB ThrottlingException, Lambda 429).
 * - `server_error`: a 500 before the service acted (InternalServerError / ServiceException).
 * - `timeout`: the service DID act, but the answer never came back (TimeoutError): the
 *   nastiest kind, since the caller cannot tell it from the other two.
 */
export type FaultKind = 'throttle' | 'server_error' | 'timeout';

export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'server_error', 'timeout'];

export interface InjectedFault {
  readonly service: string;
  readonly operation: string;
  readonly kind: FaultKind;
  readonly input: unknown;
}

export interface SdkFaultInjectorProps {
  readonly rng: SeededRandom;
  /** Fraction of calls that fail, 0-1. */
  readonly rate: number;
  /** @default all of FAULT_KINDS */
  readonly kinds?: readonly FaultKind[];
  /** Only these `Service.Operation`s fail. @default every operation */
  readonly operations?: readonly string[];
}

/**
 * Fails a seeded fraction of the calls made through the clients it is attached to. It sits
 * in the `initialize` step, outside the SDK's retry middleware: an injected fault is what
 * reaches the adapter once the SDK's own retries are exhausted, which is the case the
 * dispatcher's error flow has to handle (and it keeps tests from sleeping in SDK backoff).
 */
export class SdkFaultInjector {
  public readonly injected: InjectedFault[] = [];
  /** Turn off to let the system heal ("after the faults stop"). */
  public enabled = true;
  public rate: number;
  private readonly rng: SeededRandom;
  private readonly kinds: readonly FaultKind[];
  private readonly operations?: ReadonlySet<string>;

  public constructor(props: SdkFaultInjectorProps) {
    if (!(props.rate >= 0 && props.rate <= 1)) throw new RangeError(`SdkFaultInjector: rate must be within 0-1, got ${props.rate}`);
    this.rng = props.rng;
    this.rate = props.rate;
    this.kinds = props.kinds ?? FAULT_KINDS;
    this.operations = props.operations ? new Set(props.operations) : undefined;
  }

  public attach<I extends object, O extends MetadataBearer>(client: SdkClientLike<I, O>): this {
    client.middlewareStack.add(
      (next: InitializeHandler<I, O>, context: HandlerExecutionContext) =>
        async (args: InitializeHandlerArguments<I>): Promise<InitializeHandlerOutput<O>> => {
          const service = serviceOf(context);
          const operation = operationOf(context);
          if (!this.enabled || (this.operations && !this.operations.has(`${service}.${operation}`)) || !this.rng.chance(this.rate)) {
            return next(args);
          }
          const kind = this.rng.pick(this.kinds);
          this.injected.push({ service, operation, kind, input: args.input });
          if (kind === 'timeout') {
            await next(args);
            throw Object.assign(new Error(`injected: ${service}.${operation} answered, but the answer was lost (timeout)`), {
              name: 'TimeoutError',
              $metadata: {},
            });
          }
          throw faultError(service, operation, kind);
        },
      { step: 'initialize', name: 'reliabilityFaultInjector', priority: 'low' },
    );
    return this;
  }

  /** Faults that hit `Service.Operation`. */
  public count(service: string, operation?: string): number {
    return this.injected.filter((f) => f.service === service && (operation === undefined || f.operation === operation)).length;
  }
}

function faultError(service: string, operation: string, kind: 'throttle' | 'server_error'): Error {
  const message = `injected ${kind} on ${service}.${operation}`;
  if (service === 'DynamoDB') {
    return kind === 'throttle'
      ? new ThrottlingException({ message, $metadata: { httpStatusCode: 400 } })
      : new InternalServerError({ message, $metadata: { httpStatusCode: 500 } });
  }
  if (service === 'Lambda') {
    return kind === 'throttle'
      ? new TooManyRequestsException({ message, $metadata: { httpStatusCode: 429 }, Type: 'User', Reason: 'ConcurrentInvocationLimitExceeded' })
      : new ServiceException({ message, $metadata: { httpStatusCode: 500 }, Type: 'Service' });
  }
  return Object.assign(new Error(message), { name: kind === 'throttle' ? 'ThrottlingException' : 'InternalServerException', $metadata: {} });
}

/** The run a DynamoDB PutItem input writes, when it writes one (not a slot item). */
export function runOfPutItem(input: unknown): RunRecord | undefined {
  const item = (input as { Item?: Record<string, { S?: string; B?: Uint8Array }> }).Item;
  if (!item?.pk?.S?.startsWith('RUN#')) return undefined;
  const json = item.run?.S ?? (item.runGz?.B ? gunzipSync(item.runGz.B).toString('utf8') : undefined);
  return json === undefined ? undefined : (JSON.parse(json) as RunRecord);
}

/**
 * Whether a fault kept the output of an escalate/deescalate invocation from being saved
 * (the write never happened). The function then ran but the run does not know it, so a
 * resumed claim invokes it again: at-least-once, the same as a crash there.
 */
export function lostAnOutputWrite(fault: InjectedFault): RunRecord | undefined {
  if (fault.kind === 'timeout' || fault.service !== 'DynamoDB' || fault.operation !== 'PutItem') return undefined;
  const run = runOfPutItem(fault.input);
  const last = run?.history.at(-1)?.step;
  return last === 'escalate_result' || last === 'deescalate_result' ? run : undefined;
}
