// The lake part of bench/run.sh: DuckDB (the pinned @duckdb/node-api of tests/interop) on the same
// rows as fluss-lake-bench, then the side-by-side table (docs/BENCHMARKS.md, "Lake tiering").
// Usage: node bench/lake_table.mjs <dir>   (<dir> holds lake.json from `fluss-lake-bench --json`,
// whose lake_data_dir names the Parquet files the tiering wrote).
//
// DuckDB loads those files into an in-memory table (the same rows, system columns included), then,
// timed: COPY ... TO a ZSTD Parquet file (rows/s, bytes/row) and CREATE TABLE AS SELECT * FROM
// read_parquet (every column decoded and materialised) of its own file and of fluss-cpp's files.
// Each with one thread (fluss-cpp's tiering round and lake read use one) and with all of them.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.argv[2];
const lakeFile = path.join(dir, 'lake.json');
if (!existsSync(lakeFile)) {
  console.log('(no lake.json: fluss-lake-bench did not run)');
  process.exit(0);
}
const lake = JSON.parse(readFileSync(lakeFile, 'utf8').trim().split('\n').pop());
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'tests/interop/package.json'));
let duck = null;
try {
  const { DuckDBInstance } = await import(require.resolve('@duckdb/node-api'));
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  const version = (await conn.runAndReadAll('SELECT version() AS v')).getRowObjects()[0].v;
  const sq = (s) => `'${s.replaceAll("'", "''")}'`;
  const ours = sq(path.join(lake.lake_data_dir, '*.parquet'));
  const timed = async (sql) => {
    const t = process.hrtime.bigint();
    await conn.run(sql);
    return Number(process.hrtime.bigint() - t) / 1e9;
  };
  await conn.run(`SET preserve_insertion_order = false`);
  await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet(${ours})`);
  const rows = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM t')).getRowObjects()[0].n);
  const threadsAll = Number((await conn.runAndReadAll(`SELECT current_setting('threads') AS n`)).getRowObjects()[0].n);
  duck = { version, rows, threadsAll, runs: {} };
  for (const threads of [1, threadsAll]) {
    await conn.run(`SET threads = ${threads}`);
    const file = path.join(dir, `duckdb-${threads}.parquet`);
    const write = await timed(`COPY t TO ${sq(file)} (FORMAT parquet, COMPRESSION zstd)`);
    const bytes = statSync(file).size;
    const readOwn = await timed(`CREATE OR REPLACE TABLE r AS SELECT * FROM read_parquet(${sq(file)})`);
    const readOurs = await timed(`CREATE OR REPLACE TABLE r AS SELECT * FROM read_parquet(${ours})`);
    await conn.run('DROP TABLE r');
    duck.runs[threads] = {
      write_rows_per_sec: rows / write, write_mb_per_sec: bytes / 1e6 / write, bytes_per_row: bytes / rows,
      read_own_rows_per_sec: rows / readOwn, read_ours_rows_per_sec: rows / readOurs,
    };
  }
} catch (e) {
  console.log(`(DuckDB peer skipped: ${e.message}; run 'make interop-deps')`);
}

const n = (x, digits = 0) => (x == null ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ratio = (a, b) => (a == null || !b ? '—' : `${(a / b).toFixed(2)}×`);
const d1 = duck?.runs[1];
const dAll = duck && duck.threadsAll !== 1 ? duck.runs[duck.threadsAll] : null;
const all = (f) => (dAll ? ` (${n(f(dAll), f === bpr ? 1 : 0)} with ${duck.threadsAll} threads)` : '');
const bpr = (r) => r.bytes_per_row;
const t = lake.tiering;
const u = lake.union_read;
console.log(`${n(lake.rows)} rows × ${lake.columns} columns, ${lake.buckets} buckets; ${n(t.rows)} tiered in ${t.rounds} round(s) ` +
  `(${t.files} files), ${n(u.log_rows)} left in the log; append ${n(lake.append_rows_per_sec)} rows/s` +
  (duck ? `; peer DuckDB ${duck.version} on the same ${n(duck.rows)} rows (1 thread, in brackets ${duck.threadsAll})` : ''));
console.log('');
console.log('| case | fluss-cpp | DuckDB (same rows, same run) | ratio |');
console.log('|---|---:|---:|---:|');
const row = (...cells) => console.log(`| ${cells.join(' | ')} |`);
row('rows/s into ZSTD Parquet (fluss-cpp: a tiering round, log fetch + Parquet write + commit; DuckDB: COPY TO)',
  n(t.rows_per_sec), d1 ? n(d1.write_rows_per_sec) + all((r) => r.write_rows_per_sec) : '—', ratio(t.rows_per_sec, d1?.write_rows_per_sec));
row('MB/s of Parquet written', n(t.parquet_mb_per_sec, 1), d1 ? n(d1.write_mb_per_sec, 1) : '—', ratio(t.parquet_mb_per_sec, d1?.write_mb_per_sec));
row('Parquet bytes per row', n(lake.parquet_bytes_per_row, 1), d1 ? n(d1.bytes_per_row, 1) + all(bpr) : '—', ratio(lake.parquet_bytes_per_row, d1?.bytes_per_row));
row("log bytes per row (the table's segment files: Arrow batches, ZSTD)", n(lake.log_bytes_per_row, 1), '—', ratio(lake.log_bytes_per_row, lake.parquet_bytes_per_row) + ' of Parquet');
row('read rows/s: union read (lake snapshot + log tail; DuckDB: read_parquet of its own file)', n(u.rows_per_sec),
  d1 ? n(d1.read_own_rows_per_sec) + all((r) => r.read_own_rows_per_sec) : '—', ratio(u.rows_per_sec, d1?.read_own_rows_per_sec));
row('— of which the lake snapshot (ReadLakeSnapshot, every column)', n(u.lake_rows_per_sec), '', ratio(u.lake_rows_per_sec, d1?.read_own_rows_per_sec));
row('— of which the log tail (LogScanner::Poll from the snapshot offsets)', n(u.log_rows_per_sec), '', '');
row("DuckDB read_parquet of fluss-cpp's files", '', d1 ? n(d1.read_ours_rows_per_sec) + all((r) => r.read_ours_rows_per_sec) : '—', '');
