// dynalite 4 ships no types. Only what lambda/local/dynalite-server.ts uses is declared;
// the options are those documented on its `dynalite()` in node_modules/dynalite/index.js.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB folder; in memory when absent. */
    path?: string;
    /** ms a new table stays CREATING. @default 500 */
    createTableMs?: number;
    /** ms a deleted table stays DELETING. @default 500 */
    deleteTableMs?: number;
    /** ms an updated table stays UPDATING. @default 500 */
    updateTableMs?: number;
    /** @default 400 */
    maxItemSizeKb?: number;
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }

  /** An `http.Server` whose `close()` also closes the LevelDB store. Not yet listening. */
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
