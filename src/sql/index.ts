/**
 * Vector search in SQL: ClickHouse (embedded chdb by default, or a server) behind
 * the lab's index interface. See store.ts.
 *
 * @example
 * import { SqlVectorStore } from '../dist';
 * const store = await SqlVectorStore.open({ table: 'dogs', d: 512, mode: 'replace' });
 */
export {
  SqlVectorStore, SqlError, INDEX_NAME, vectorParam,
  type SqlStoreOptions, type SqlAddOptions, type SqlSearchOptions, type SqlMetric, type SqlQueryArguments,
  type ColumnType, type IndexOptions, type IndexInfo,
} from './store';
export { chdbBackend, serverBackend, defaultBackend, openChdbFolder, SESSION_SETTINGS, type SqlBackend, type SqlParams, type ServerOptions } from './backend';
export { formatStatement, showSql, STATEMENTS_KEPT, type SqlStatement, type FormatOptions } from './statements';
export { compileFilter, checkIdentifier, describeValue, type Filter, type Conditions, type Condition, type SqlFilter, type Scalar } from './filter';
export { encodeNativeBlock, writeNativeFile, decodeVectorsRowBinary, type NativeColumn, type NativeType } from './native';
export { sqlHnsw, sqlHnswBuilder, type SqlHnswBuilderOptions } from './builder';
