// An example escalate function, written as for Sym's AWS Lambda strategy. It is bundled
// on its own as a Lambda, so it imports nothing but types from outside this folder.
import type { LambdaPayload } from '../strategy/lambda-payload.js';

/** What this example grants, and what the deescalate example reads back. */
export interface ExampleGrant {
  readonly grantId: string;
  readonly username: string;
  readonly target: string;
  readonly grantedAt: string;
  readonly expiresInSeconds: number;
}

export interface ExampleResponse<Body> {
  readonly body: Body | null;
  readonly errors: string[];
}

/**
 * "Grants" the requester access to the target. A real one would add the user to a group,
 * create a database role, attach a policy… and return whatever its revoke needs.
 */
export const handler = async (event: LambdaPayload): Promise<ExampleResponse<ExampleGrant>> => {
  // On escalate the acting user is the approver; access goes to whoever requested it.
  const username = event.run.actors.request?.username ?? event.actor.username;
  const target = event.fields.target.srn;
  const expiresInSeconds = typeof event.fields.duration === 'number' ? event.fields.duration : 0;
  if (expiresInSeconds <= 0) {
    return { body: null, errors: [`refusing to grant ${target} to ${username}: the duration is missing or not positive`] };
  }

  const grant: ExampleGrant = {
    // Derived from the run, so a retried escalate of the same run grants the same thing.
    grantId: `grant-${runIdOf(event.run.srn)}-${username}`,
    username,
    target,
    grantedAt: new Date().toISOString(),
    expiresInSeconds,
  };
  console.log(`escalate: granted ${target} to ${username} for ${expiresInSeconds}s as ${grant.grantId}`);
  return { body: grant, errors: [] };
};

/** The run SRN's last part, its identifier (`<org>:run:<flow>:<version>:<id>`). */
function runIdOf(runSrn: string): string {
  return runSrn.slice(runSrn.lastIndexOf(':') + 1);
}
