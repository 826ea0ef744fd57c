import type { LambdaHandler } from '../../lambda/local/lambda-invoke-server.js';
import type { LambdaPayload } from '../../lambda/strategy/lambda-payload.js';

export interface LedgerEntry {
  readonly fn: 'escalate' | 'deescalate';
  readonly runId: string;
  /** The dispatcher's (virtual) clock when the function ran. */
  readonly at: number;
  readonly deescalateType?: string;
}

/**
 * The user's escalate/deescalate functions as the outside world sees them: every time one
 * actually ran, on the test's clock. Whether access is granted is decided here, not by
 * the run's state, since a function may run and its answer be lost.
 */
export class GrantLedger {
  public readonly entries: LedgerEntry[] = [];

  public constructor(private readonly clock: () => Date) {}

  public functions(): { escalate: LambdaHandler; deescalate: LambdaHandler } {
    return {
      escalate: (event) => {
        const e = event as LambdaPayload;
        const runId = runIdOf(e);
        this.entries.push({ fn: 'escalate', runId, at: this.clock().getTime() });
        return { body: { grantId: `grant:${runId}` }, errors: [] };
      },
      deescalate: (event) => {
        const e = event as LambdaPayload;
        const runId = runIdOf(e);
        const deescalateType = e.fields.deescalate_type;
        this.entries.push({ fn: 'deescalate', runId, at: this.clock().getTime(), ...(typeof deescalateType === 'string' ? { deescalateType } : {}) });
        return { body: { revoked: (e.outputs?.escalate?.body as { grantId?: string } | null | undefined)?.grantId ?? null }, errors: [] };
      },
    };
  }

  public count(runId: string, fn: 'escalate' | 'deescalate'): number {
    return this.entries.filter((e) => e.runId === runId && e.fn === fn).length;
  }

  /** Whether the run's access stands: an escalate ran and no deescalate ran after it. */
  public granted(runId: string): boolean {
    let granted = false;
    for (const e of this.entries) if (e.runId === runId) granted = e.fn === 'escalate';
    return granted;
  }

  /** When access was last taken away (the deescalate after the last escalate), if it was. */
  public revokedAt(runId: string): number | undefined {
    let at: number | undefined;
    for (const e of this.entries) if (e.runId === runId) at = e.fn === 'deescalate' ? (at ?? e.at) : undefined;
    return at;
  }

  public runIds(): Set<string> {
    return new Set(this.entries.map((e) => e.runId));
  }
}

/** The run id at the end of the run's SRN (`…:<runId>`); run ids hold no `:`. */
export function runIdOf(payload: LambdaPayload): string {
  return payload.run.srn.slice(payload.run.srn.lastIndexOf(':') + 1);
}
