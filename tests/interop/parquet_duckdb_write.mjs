// DuckDB writes Parquet files (COPY ... (FORMAT parquet)) for fluss_parquet_interop `read` to check:
// every type fluss-cpp maps, nulls, NOT NULL columns, repeated strings (DuckDB dictionary-encodes
// them), several row groups, and each of UNCOMPRESSED / SNAPPY / ZSTD. Expected values come from
// DuckDB reading its own file, in the forms of parquet_interop_writer.cc.
// Usage: node parquet_duckdb_write.mjs <dir>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { sq, toExpectedForm } from './parquet_values.mjs';

const dir = process.argv[2];
if (!dir) { console.error('usage: node parquet_duckdb_write.mjs <dir>'); process.exit(2); }
mkdirSync(dir, { recursive: true });
const conn = await (await DuckDBInstance.create(':memory:')).connect();

// i is the row number; NULL in every 5th row of the nullable columns. TIME values are whole
// milliseconds (a Fluss TIME holds milliseconds).
await conn.run(`
  CREATE TABLE t (
    id BIGINT NOT NULL, b BOOLEAN, ti TINYINT, si SMALLINT, i INTEGER, bi BIGINT, f FLOAT, d DOUBLE,
    d9 DECIMAL(9,2), d18 DECIMAL(18,4), d38 DECIMAL(38,10), s VARCHAR, tag VARCHAR NOT NULL, bl BLOB,
    dt DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ)`);
await conn.run(`SET TimeZone = 'UTC'`);
await conn.run(`
  INSERT INTO t SELECT
    i,
    CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END,
    CASE WHEN i % 5 = 1 THEN NULL ELSE (i % 256 - 128)::TINYINT END,
    CASE WHEN i % 5 = 2 THEN NULL ELSE (i * 37 % 65536 - 32768)::SMALLINT END,
    CASE WHEN i % 5 = 3 THEN NULL ELSE (i * 1000003 % 4294967296 - 2147483648)::INTEGER END,
    CASE WHEN i % 5 = 4 THEN NULL ELSE i * 9007199254740 - 4503599627370496 END,
    CASE WHEN i % 5 = 0 THEN NULL ELSE (i / 7.0)::FLOAT END,
    CASE WHEN i % 5 = 1 THEN NULL ELSE i / 3.0 - 1000 END,
    CASE WHEN i % 5 = 2 THEN NULL ELSE (i * 12.34 - 5000)::DECIMAL(9,2) END,
    CASE WHEN i % 5 = 3 THEN NULL ELSE (i * 1234.5678 - 9999999)::DECIMAL(18,4) END,
    CASE WHEN i % 5 = 4 THEN NULL ELSE (i * 123456789.0123456789 - 1e20)::DECIMAL(38,10) END,
    CASE WHEN i % 5 = 0 THEN NULL WHEN i % 11 = 0 THEN '' ELSE 'name-' || (i % 23) || ' é' END,
    CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END,
    CASE WHEN i % 5 = 1 THEN NULL ELSE ('\\x' || lpad(to_hex(i % 65536), 4, '0'))::BLOB END,
    CASE WHEN i % 5 = 2 THEN NULL ELSE DATE '1970-01-01' + (i * 17 - 20000)::INTEGER END,
    CASE WHEN i % 5 = 3 THEN NULL ELSE TIME '00:00:00' + to_milliseconds(i * 7919 % 86400000) END,
    CASE WHEN i % 5 = 4 THEN NULL ELSE make_timestamp(i * 86400123457 - 1000000000000000) END,
    CASE WHEN i % 5 = 0 THEN NULL ELSE make_timestamp(i * 3600000001)::TIMESTAMPTZ END
  FROM range(0, 5000) r(i)`);

for (const codec of ['UNCOMPRESSED', 'SNAPPY', 'ZSTD']) {
  const name = `duckdb_${codec.toLowerCase()}`;
  const file = join(dir, `${name}.parquet`);
  await conn.run(`COPY (SELECT * FROM t ORDER BY id) TO ${sq(file)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048)`);
  const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sq(file)})`)).getRowObjects();
  const schema = (await conn.runAndReadAll(`SELECT name, repetition_type FROM parquet_schema(${sq(file)})`)).getRowObjects();
  const rows = (await conn.runAndReadAll(`SELECT * FROM read_parquet(${sq(file)})`)).getRowObjects();
  const fields = described.map((d, k) => ({
    name: d.column_name, duckdb_type: d.column_type, nullable: schema[k + 1].repetition_type !== 'REQUIRED',
  }));
  const expected = {
    file: `${name}.parquet`, description: `written by DuckDB, ${codec}`, compression: codec,
    fields, rows: rows.map((r) => fields.map((f) => toExpectedForm(r[f.name], f.duckdb_type))),
  };
  writeFileSync(join(dir, `${name}.expected.json`), JSON.stringify(expected, null, 1));
  console.log(`wrote ${file} (${rows.length} rows)`);
}
