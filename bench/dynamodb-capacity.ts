import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../lambda/store/table-schema.js';
import type { RecordedCall } from '../test/support/sdk-call-recorder.js';

type Item = Record<string, AttributeValue>;

/**
 * DynamoDB's item size: attribute names plus values (strings and binaries by their bytes,
 * numbers about one byte per two digits plus one, 3 bytes of overhead per map or list).
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueSize(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueSize(v), 0);
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  return 1;
}

const INDEXES = [TABLE_SCHEMA.dueIndex, TABLE_SCHEMA.flowIndex] as const;

function indexKey(item: Item | undefined, index: (typeof INDEXES)[number]): string | undefined {
  const pk = item?.[index.partitionKey]?.S;
  const sk = item?.[index.sortKey]?.S;
  return pk !== undefined && sk !== undefined ? `${pk}\u0000${sk}` : undefined;
}

export interface CapacityUse {
  readonly writeUnits: number;
  /** Of `writeUnits`, what the two GSIs consumed. */
  readonly indexWriteUnits: number;
  readonly readUnits: number;
  /** Bytes of each run item written, for the report. */
  readonly itemSizes: number[];
}

const kb = (bytes: number, unit: number) => Math.max(1, Math.ceil(bytes / unit));

/**
 * Request units the recorded DynamoDB calls consume on an on-demand table with the two
 * GSIs: 1 WRU per KB written to the table and again per KB written to each index the item
 * enters, stays in (unless neither its index keys nor projected attributes change), or
 * leaves (a changed index key is a delete plus a put); a failed
 * conditional write still costs its item's WRU; 1 RRU per 4 KB of a consistent read
 * (1 for an item not found).
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes
 */
export function capacityOf(calls: readonly RecordedCall[], options: { readonly projection?: 'ALL' | 'KEYS_ONLY' } = {}): CapacityUse {
  // With KEYS_ONLY an index entry holds the table and index keys only: always under 1 KB.
  const projection = options.projection ?? TABLE_SCHEMA.indexProjection;
  const entrySize = (size: number) => (projection === 'KEYS_ONLY' ? Math.min(size, 1024) : size);
  const previous = new Map<string, Item>();
  let writeUnits = 0;
  let indexWriteUnits = 0;
  let readUnits = 0;
  const itemSizes: number[] = [];
  for (const call of calls) {
    if (call.service !== 'DynamoDB') continue;
    if (call.operation === 'GetItem') {
      const item = (call.output as { Item?: Item } | undefined)?.Item;
      readUnits += item ? kb(itemSize(item), 4096) : 1;
    } else if (call.operation === 'PutItem') {
      const item = (call.input as { Item: Item }).Item;
      const size = itemSize(item);
      writeUnits += kb(size, 1024);
      if (item.pk?.S?.startsWith('RUN#')) itemSizes.push(size);
      if (call.error) continue;
      const key = `${item.pk?.S}\u0000${item.sk?.S}`;
      const before = previous.get(key);
      for (const index of INDEXES) {
        const was = indexKey(before, index);
        const is = indexKey(item, index);
        let units = 0;
        if (was !== undefined) units += was === is ? 0 : kb(entrySize(itemSize(before as Item)), 1024);
        // A write that changes neither the index keys nor a projected attribute costs the
        // index nothing; with KEYS_ONLY the projected attributes are the keys.
        const unchangedKeysOnly = projection === 'KEYS_ONLY' && was !== undefined && was === is;
        if (is !== undefined && !unchangedKeysOnly) units += kb(entrySize(size), 1024);
        indexWriteUnits += units;
        writeUnits += units;
      }
      previous.set(key, item);
    } else if (call.operation === 'Query' || call.operation === 'Scan') {
      const items = (call.output as { Items?: Item[] } | undefined)?.Items ?? [];
      readUnits += kb(items.reduce((n, i) => n + itemSize(i), 0), 4096);
    }
  }
  return { writeUnits, indexWriteUnits, readUnits, itemSizes };
}
