/**
 * Vector search in SQL: ClickHouse (embedded chdb by default, or a server) behind
 * the lab's index interface. See store.ts.
 *
 * @example
 * import { SqlVectorStore } from '../dist';
 * const store = await SqlVectorStore.open({ table: 'dogs', d: 512, mode: 'replace' });
 */

export {
  chdbBackend,
  defaultBackend,
  openChdbFolder,
  SESSION_SETTINGS,
  type ServerOptions,
  type SqlBackend,
  type SqlParams,
  serverBackend,
} from './backend';
export { type SqlHnswBuilderOptions, sqlHnsw, sqlHnswBuilder } from './builder';
export {
  type Condition,
  type Conditions,
  checkIdentifier,
  compileFilter,
  describeValue,
  type Filter,
  type Scalar,
  type SqlFilter,
} from './filter';
export {
  decodeVectorsRowBinary,
  encodeNativeBlock,
  type NativeColumn,
  type NativeType,
  writeNativeFile,
} from './native';
export { type FormatOptions, formatStatement, type SqlStatement, STATEMENTS_KEPT, showSql } from './statements';
export {
  type ColumnType,
  INDEX_NAME,
  type IndexInfo,
  type IndexOptions,
  type SqlAddOptions,
  SqlError,
  type SqlMetric,
  type SqlQueryArguments,
  type SqlSearchOptions,
  type SqlStoreOptions,
  SqlVectorStore,
  vectorParam,
} from './store';
