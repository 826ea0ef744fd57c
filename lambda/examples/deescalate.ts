// An example deescalate function, written as for Sym's AWS Lambda strategy, plus what
// lambda-escalation adds: `outputs.escalate`, what the escalate function returned. It is
// bundled on its own as a Lambda, so it imports nothing but types from outside this folder.
import type { LambdaPayload } from '../strategy/lambda-payload.js';
import type { ExampleResponse } from './escalate.js';

export interface ExampleRevocation {
  /** The grant taken away; `null` when escalate had granted nothing. */
  readonly revoked: string | null;
  readonly username: string;
  readonly target: string;
  readonly revokedAt: string;
  /** Why deescalate ran: `scheduled`, `revoke`, `compensate`, `sweep`. */
  readonly reason: string;
}

/**
 * Revokes the grant the escalate example made. Must be safe to run more than once, and
 * after an escalate that failed (the engine then deescalates to fail closed).
 */
export const handler = async (event: LambdaPayload): Promise<ExampleResponse<ExampleRevocation>> => {
  const escalate = event.outputs?.escalate;
  if (!escalate) {
    // Without the escalate output there is no telling what to revoke: say so, so the
    // run is marked failed and retried rather than reported revoked.
    return { body: null, errors: [`no escalate output in the event for run ${event.run.srn}: cannot tell which grant to revoke`] };
  }

  const body = escalate.body;
  const grantId = typeof body === 'object' && body !== null && !Array.isArray(body) && typeof body.grantId === 'string' ? body.grantId : null;
  const username = event.run.actors.request?.username ?? event.actor.username;
  const revocation: ExampleRevocation = {
    // No grantId: escalate failed before granting anything, so there is nothing to undo.
    revoked: grantId,
    username,
    target: event.fields.target.srn,
    revokedAt: new Date().toISOString(),
    reason: event.fields.deescalate_type ?? 'scheduled',
  };
  console.log(
    grantId
      ? `deescalate: revoked ${grantId} (${revocation.reason})`
      : `deescalate: nothing to revoke for ${username} on ${revocation.target}; escalate granted nothing (${escalate.errors.join('; ') || 'no errors'})`,
  );
  return { body: revocation, errors: [] };
};
