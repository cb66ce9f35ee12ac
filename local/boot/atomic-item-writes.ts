import dynaliteDb, { type DynaliteStore, type Item, type LevelOperation, type Table } from 'dynalite/db';

/**
 * dynalite writes an item's index entries (`updateIndexes`: the old ones removed,
 * then the new ones put) and then the item itself, each as a LevelDB write of its
 * own. A process killed between them leaves the indexes disagreeing with the
 * table for good: a key listed by `byTenant` that is not in the table, or listed
 * with a name it never got; a `pendingAudit` entry for a record the item does not
 * hold, or none for one it does.
 *
 * In the stores given here, `updateIndexes` writes nothing: it works out the
 * index writes and leaves them with the item's key, and the item's own put or
 * delete, which the action makes next while it holds the item's lock, writes
 * them and itself as one LevelDB batch. LevelDB applies a batch whole or not at
 * all, also when the process dies (its log record is checksummed; a torn one is
 * dropped on recovery), so an item and its index entries always agree, as a
 * DynamoDB table and its indexes do.
 */
export function writeItemsWithTheirIndexes(store: DynaliteStore): void {
  interceptIndexWrites();
  const staged = new Map<string, LevelOperation[]>();
  stagedIndexWrites.set(store, staged);
  const { db } = store;
  const [put, del] = [db.put.bind(db), db.del.bind(db)];
  const withStaged = (key: string, write: LevelOperation) => {
    const indexWrites = staged.get(key) ?? [];
    staged.delete(key);
    return [...indexWrites, write];
  };
  db.put = (key, value, callback) =>
    staged.has(key) ? db.batch(withStaged(key, { type: 'put', key, value }), callback) : put(key, value, callback);
  db.del = (key, callback) => (staged.has(key) ? db.batch(withStaged(key, { type: 'del', key }), callback) : del(key, callback));
}

/** By store: the index writes waiting for their item's write, by the item's LevelDB key. */
const stagedIndexWrites = new WeakMap<DynaliteStore, Map<string, LevelOperation[]>>();

/*
 * Where dynalite keeps items and index entries, in the one LevelDB database of a
 * store: each table's items, and each index's entries, under a prefix of keys
 * (db/index.js, getItemDb and getIndexDb).
 */
const itemKey = (table: Table, key: string) => `item-${table.TableName}~${key}`;
const indexKey = (type: 'Local' | 'Global', table: Table, index: string, key: string) =>
  `index-${type.toLowerCase()}~${table.TableName}~${index}~${key}`;

/** The LevelDB writes that bring a table's indexes from `existingItem` to `item`: removals first, as dynalite orders them. */
function indexWrites(table: Table, existingItem: Item | null | undefined, item: Item | null | undefined): LevelOperation[] {
  const removals: LevelOperation[] = [];
  const puts: LevelOperation[] = [];
  for (const type of ['Local', 'Global'] as const) {
    const actions = dynaliteDb.getIndexActions(table[`${type}SecondaryIndexes`] ?? [], existingItem, item, table);
    for (const { index, key } of actions.deletes) removals.push({ type: 'del', key: indexKey(type, table, index, key) });
    for (const { index, key, item: entry } of actions.puts)
      puts.push({ type: 'put', key: indexKey(type, table, index, key), value: entry });
  }
  return [...removals, ...puts];
}

let intercepting = false;

/** dynalite's actions call `updateIndexes` through its module's exports: replaced there, once, for the stores given above. */
function interceptIndexWrites(): void {
  if (intercepting) return;
  intercepting = true;
  const updateIndexes = dynaliteDb.updateIndexes;
  dynaliteDb.updateIndexes = (store, table, existingItem, item, callback) => {
    const staged = stagedIndexWrites.get(store);
    const changed = item ?? existingItem;
    if (!staged || !changed) return updateIndexes(store, table, existingItem, item, callback);
    staged.set(itemKey(table, dynaliteDb.createKey(changed, table)), indexWrites(table, existingItem, item));
    callback(null);
  };
}
