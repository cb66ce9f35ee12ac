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

/** dynalite's store, which its server keeps to itself: only what local mode uses of it. */
declare module 'dynalite/db' {
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
    };
  }

  interface LevelIterator {
    close(): Promise<void>;
    /** Not abstract-level's, though dynalite's streams call it when they end; see closeIteratorsOnReturn. */
    return?: () => Promise<void>;
  }

  export function create(options: object): DynaliteStore;
}
