/**
 * The run table's layout, shared by the store, local mode's table creation and the CDK
 * construct, so the three cannot drift apart. No SDK import: the CDK app loads it too.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Runs the engine must act on, by when (request expiry, end of access). Sparse. */
  dueIndex: { name: 'byExpiry', partitionKey: 'activePartition', sortKey: 'expiresAt' },
  /** A flow's runs by creation time, for `list`. */
  flowIndex: { name: 'byFlow', partitionKey: 'flow', sortKey: 'createdAt' },
  /**
   * Both indexes hold keys only: the sweep and `list` read each run after, and a run's
   * writes then do not pay to copy the whole run into each index.
   */
  indexProjection: 'KEYS_ONLY',
} as const;

/** The DynamoDB actions the store makes, and so all the dispatcher may make, on the table and its indexes. */
export const STORE_ACTIONS: readonly string[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'];
