import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import dynalite from 'dynalite';
import { listenOnLoopback } from './loopback-server.js';

export interface DynaliteServerProps {
  /** Folder the tables persist in (LevelDB). Created when missing. @default - in memory, gone on stop */
  readonly dataDir?: string;
  /** @default 0 - a free port, read it from the result */
  readonly port?: number;
}

export interface DynaliteServer {
  /** `http://127.0.0.1:<port>`, for a `DynamoDBClient`'s `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops listening and closes the store, so the same `dataDir` can be opened again. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts dynalite, a DynamoDB implementation on LevelDB, on loopback. Started in-process
 * rather than through its CLI because the CLI reads `--port 0` as "no port" and listens
 * on 4567; `listen(0)` here gets a free port.
 *
 * dynalite 4 lacks TransactWriteItems and TTL and ignores
 * `ReturnValuesOnConditionCheckFailure`; the store uses none of them.
 */
export async function startDynalite(props: DynaliteServerProps = {}): Promise<DynaliteServer> {
  const dataDir = props.dataDir === undefined ? undefined : path.resolve(props.dataDir);
  if (dataDir) await mkdir(dataDir, { recursive: true });

  // Tables turn ACTIVE on the next timer tick instead of after dynalite's default 500 ms.
  // Not at once: CreateTable still answers CREATING, and with a dataDir the flip is a
  // LevelDB write that can land after the next request, which then gets
  // ResourceNotFoundException. Wait for ACTIVE (DescribeTable) before using a new table.
  const server = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite's close() waits for the HTTP server, then closes LevelDB, releasing its lock,
  // so the same dataDir can be opened again after stop().
  return listenOnLoopback(server, props.port);
}
