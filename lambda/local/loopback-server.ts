import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * SDK client settings for local mode's loopback servers: they check no credentials, but
 * the SDK insists on some (and on a region).
 */
export const LOCAL_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** A server of local mode's, listening on loopback. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`, for an SDK client's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops listening and drops open connections. Idempotent: every caller gets the same promise. */
  stop(): Promise<void>;
}

/**
 * Starts `server` on 127.0.0.1 (never another interface: these servers stand in for AWS
 * and check no credentials). Port 0 asks the OS for a free one, read it from the result.
 */
export async function listenOnLoopback(server: Server, port = 0): Promise<LoopbackServer> {
  const host = '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${actual}`,
    port: actual,
    stop() {
      // close() fails when called twice ("Server is not running"); stop once.
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this, close() waits for them.
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
