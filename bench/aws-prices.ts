/**
 * AWS list prices the cost model uses: us-east-1, on-demand, no free tier, x86 Lambda.
 * Taken from the public pricing pages as of 2025-06 (DynamoDB on-demand after its
 * November 2024 price cut); this machine is offline, so re-check them before quoting.
 *
 * @see https://aws.amazon.com/lambda/pricing/
 * @see https://aws.amazon.com/dynamodb/pricing/on-demand/
 * @see https://aws.amazon.com/eventbridge/pricing/
 * @see https://aws.amazon.com/step-functions/pricing/
 */
export const AWS_PRICES = {
  region: 'us-east-1',
  asOf: '2025-06',
  lambda: {
    perRequest: 0.2 / 1_000_000,
    perGbSecond: 0.0000166667,
    /** Lambda bills duration in 1 ms steps. */
    billingGranularityMs: 1,
  },
  dynamodb: {
    /** One write request unit: 1 KB written (standard table class). */
    perWriteRequestUnit: 0.625 / 1_000_000,
    /** One read request unit: one strongly consistent read of up to 4 KB. */
    perReadRequestUnit: 0.125 / 1_000_000,
  },
  eventbridge: {
    /** Custom events put on a bus, per 64 KB chunk. */
    perCustomEvent: 1.0 / 1_000_000,
    chunkBytes: 64 * 1024,
  },
  scheduler: {
    /** EventBridge Scheduler, per invocation (a schedule firing); its API calls are free. */
    perInvocation: 1.0 / 1_000_000,
  },
  stepFunctions: {
    /** Standard workflows, per state transition. */
    perStateTransition: 0.025 / 1_000,
  },
} as const;

/** Peers' workflows, by state transitions per run (Step Functions standard). */
export const PEER_WORKFLOWS = [
  { name: 'Common Fate (Step Functions)', transitions: 5 },
  { name: 'AWS TEAM (Step Functions)', transitions: 26 },
] as const;

/** Memory of the dispatcher function: the EscalationFlow construct's default `memorySize`. */
export const DISPATCHER_MEMORY_MB = 512;
/** Assumed memory of the user's escalate/deescalate functions (the smallest Lambda). */
export const USER_FUNCTION_MEMORY_MB = 128;
