declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
  }

  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}

/** dynalite's store, which its server keeps to itself, and its helpers: only what local mode uses of them. */
declare module 'dynalite/db' {
  /** A LevelDB write, as abstract-level's `batch` takes it. */
  type LevelOperation = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };
  type Callback = (error?: Error | null) => void;

  interface DynaliteStore {
    /** The LevelDB (or, without a path, in-memory) database under every table. */
    db: {
      /** Resolves once the database is open; dynalite opens it itself, but only reports a failure to its first request. */
      open(): Promise<void>;
      /** Waits for operations in flight, then closes the database, flushing it to disk. */
      close(): Promise<void>;
      /** abstract-level's iterators, which dynalite's key and value streams read. */
      keys(options?: object): LevelIterator;
      values(options?: object): LevelIterator;
      /** dynalite's callback forms of abstract-level's writes; each is one LevelDB write. */
      put(key: string, value: unknown, callback: Callback): void;
      del(key: string, callback: Callback): void;
      /** All the operations in one LevelDB write: applied whole, or not at all. */
      batch(operations: LevelOperation[], callback: Callback): void;
    };
  }

  interface LevelIterator {
    close(): Promise<void>;
    /** Not abstract-level's, though dynalite's streams call it when they end; see closeIteratorsOnReturn. */
    return?: () => Promise<void>;
  }

  /** A DynamoDB item, attribute by attribute in DynamoDB's JSON (`{"S": "…"}`). */
  type Item = Record<string, Record<string, unknown>>;

  /** A table's description, as dynalite keeps it. */
  interface Table {
    TableName: string;
    LocalSecondaryIndexes?: object[];
    GlobalSecondaryIndexes?: object[];
  }

  /** The index entries to write and remove when `existingItem` becomes `item` (either may be absent). */
  interface IndexActions {
    puts: { index: string; key: string; item: Item }[];
    deletes: { index: string; key: string }[];
  }

  export function create(options: object): DynaliteStore;
  /** The key of an item in its table's LevelDB range. */
  export function createKey(item: Item, table: Table): string;
  export function getIndexActions(
    indexes: object[],
    existingItem: Item | null | undefined,
    item: Item | null | undefined,
    table: Table,
  ): IndexActions;
  /**
   * Writes the index entries of a change from `existingItem` to `item`; the
   * actions that write items call it just before the item's own write.
   */
  export let updateIndexes: (
    store: DynaliteStore,
    table: Table,
    existingItem: Item | null | undefined,
    item: Item | null | undefined,
    callback: Callback,
  ) => void;
}
