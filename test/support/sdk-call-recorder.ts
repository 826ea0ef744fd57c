import type {
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  MetadataBearer,
  MiddlewareStack,
} from '@smithy/types';

/** Any SDK v3 client: all we need is its middleware stack. */
export interface SdkClientLike<I extends object, O extends MetadataBearer> {
  readonly middlewareStack: MiddlewareStack<I, O>;
}

/** One `client.send()`: what was asked, what came back, how long it took. */
export interface RecordedCall {
  /** `DynamoDB`, `Lambda`, `Scheduler`, `EventBridge`. */
  readonly service: string;
  /** `PutItem`, `Invoke`, … */
  readonly operation: string;
  readonly input: unknown;
  readonly output?: unknown;
  /** Name of the error the call ended with (ConditionalCheckFailedException, …). */
  readonly error?: string;
  readonly durationMs: number;
}

/** `DynamoDBClient` → `DynamoDB`, `PutItemCommand` → `PutItem`. */
export function serviceOf(context: HandlerExecutionContext): string {
  return (context.clientName ?? 'Unknown').replace(/Client$/, '');
}

export function operationOf(context: HandlerExecutionContext): string {
  return (context.commandName ?? 'Unknown').replace(/Command$/, '');
}

/**
 * Counts and records every call made through the clients it is attached to. It sits in
 * the `initialize` step, outside the SDK's retry middleware, so one `send()` is one call
 * however many attempts the SDK made (no faults are injected where calls are counted).
 */
export class SdkCallRecorder {
  public readonly calls: RecordedCall[] = [];
  /** While false, calls pass through unrecorded (set-up and assertions stay out of the figures). */
  public enabled = true;

  public attach<I extends object, O extends MetadataBearer>(client: SdkClientLike<I, O>): this {
    client.middlewareStack.add(
      (next: InitializeHandler<I, O>, context: HandlerExecutionContext) =>
        async (args: InitializeHandlerArguments<I>): Promise<InitializeHandlerOutput<O>> => {
          if (!this.enabled) return next(args);
          const started = performance.now();
          const base = { service: serviceOf(context), operation: operationOf(context), input: args.input };
          try {
            const result = await next(args);
            this.calls.push({ ...base, output: result.output, durationMs: performance.now() - started });
            return result;
          } catch (error) {
            this.calls.push({ ...base, error: (error as Error).name ?? 'Error', durationMs: performance.now() - started });
            throw error;
          }
        },
      { step: 'initialize', name: 'benchCallRecorder', priority: 'high' },
    );
    return this;
  }

  public reset(): void {
    this.calls.length = 0;
  }

  /** Calls since `from` (an index into {@link calls}), for one event's share. */
  public since(from: number): RecordedCall[] {
    return this.calls.slice(from);
  }

  /** `Service.Operation` → count, in first-seen order. */
  public static countByOperation(calls: readonly RecordedCall[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const call of calls) {
      const key = `${call.service}.${call.operation}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }
}
