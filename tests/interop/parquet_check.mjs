// Checks every <name>.parquet in a directory against <name>.expected.json with DuckDB (@duckdb/node-api):
//   1. DESCRIBE read_parquet: column names and DuckDB types;
//   2. read_parquet: every value of every row, exactly (forms in parquet_interop_writer.cc);
//   3. parquet_schema: field_id and REQUIRED/OPTIONAL of every column;
//   4. parquet_metadata: row groups, compression, num_values, dictionary encodings, and the statistics
//      (null count; min/max equal to DuckDB's own min()/max() over the rows of that row group);
//   5. parquet_kv_metadata: the key/value metadata.
// Usage: node parquet_check.mjs <dir>; exit 1 on any mismatch.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ident, sq, toExpectedForm } from './parquet_values.mjs';

const MAX_ERRORS = 30;

async function checkFile(conn, dir, name) {
  const expected = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8'));
  const file = join(dir, expected.file);
  const errors = [];
  const fail = (m) => { if (errors.length < MAX_ERRORS) errors.push(m); };
  const q = async (sql) => (await conn.runAndReadAll(sql)).getRowObjects();
  const src = `read_parquet(${sq(file)}, file_row_number=true)`;
  const fields = expected.fields;

  // 1. Types.
  const described = await q(`DESCRIBE SELECT * EXCLUDE (file_row_number) FROM ${src}`);
  if (described.length !== fields.length) fail(`DuckDB sees ${described.length} columns, expected ${fields.length}`);
  fields.forEach((f, i) => {
    const d = described[i];
    if (!d) return;
    if (d.column_name !== f.name) fail(`column ${i}: name ${d.column_name}, expected ${f.name}`);
    if (d.column_type !== f.duckdb_type) fail(`column ${f.name}: DuckDB type ${d.column_type}, expected ${f.duckdb_type}`);
  });

  // 2. Values, in file order.
  const rows = await q(`SELECT * FROM ${src} ORDER BY file_row_number`);
  if (rows.length !== expected.rows.length) fail(`DuckDB reads ${rows.length} rows, expected ${expected.rows.length}`);
  let values = 0;
  for (let r = 0; r < Math.min(rows.length, expected.rows.length); r++) {
    fields.forEach((f, c) => {
      const got = toExpectedForm(rows[r][f.name], f.duckdb_type);
      const want = expected.rows[r][c];
      values++;
      if (got !== want) fail(`row ${r} column ${f.name}: DuckDB reads ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    });
  }

  // 3. Field ids and repetition.
  const schema = await q(`SELECT name, field_id, repetition_type, num_children FROM parquet_schema(${sq(file)})`);
  if (schema.length !== fields.length + 1) fail(`parquet_schema has ${schema.length} elements, expected ${fields.length + 1}`);
  fields.forEach((f, i) => {
    const e = schema[i + 1];
    if (!e) return;
    if (e.name !== f.name) fail(`schema element ${i + 1}: ${e.name}, expected ${f.name}`);
    if (Number(e.field_id) !== f.field_id) fail(`column ${f.name}: field_id ${e.field_id}, expected ${f.field_id}`);
    const rep = f.nullable ? 'OPTIONAL' : 'REQUIRED';
    if (e.repetition_type !== rep) fail(`column ${f.name}: repetition ${e.repetition_type}, expected ${rep}`);
  });

  // 4. Row groups and statistics.
  const meta = await q(`SELECT row_group_id, row_group_num_rows, column_id, path_in_schema, compression, num_values,
                               encodings, stats_null_count, stats_min_value, stats_max_value, stats_min, stats_max
                        FROM parquet_metadata(${sq(file)}) ORDER BY row_group_id, column_id`);
  const groups = new Map();
  for (const m of meta) groups.set(Number(m.row_group_id), Number(m.row_group_num_rows));
  if (groups.size !== expected.row_groups) fail(`${groups.size} row groups, expected ${expected.row_groups}`);
  const firstRow = new Map();
  let acc = 0;
  for (const g of [...groups.keys()].sort((a, b) => a - b)) { firstRow.set(g, acc); acc += groups.get(g); }
  if (acc !== expected.rows.length) fail(`row groups hold ${acc} rows, expected ${expected.rows.length}`);
  let stats = 0;
  for (const m of meta) {
    const g = Number(m.row_group_id);
    const f = fields[Number(m.column_id)];
    if (!f) { fail(`metadata for unknown column ${m.column_id}`); continue; }
    const where = `${m.path_in_schema} in row group ${g}`;
    if (m.path_in_schema !== f.name) fail(`${where}: path_in_schema, expected ${f.name}`);
    if (m.compression !== expected.compression) fail(`${where}: compression ${m.compression}, expected ${expected.compression}`);
    if (Number(m.num_values) !== groups.get(g)) fail(`${where}: num_values ${m.num_values}, rows ${groups.get(g)}`);
    const dict = String(m.encodings).includes('RLE_DICTIONARY');
    if (dict !== expected.dictionary_columns.includes(f.name)) fail(`${where}: encodings ${m.encodings}`);
    const lo = firstRow.get(g);
    const hi = lo + groups.get(g);
    const c = fields.indexOf(f);
    const nulls = expected.rows.slice(lo, hi).filter((row) => row[c] === null).length;
    if (Number(m.stats_null_count) !== nulls) fail(`${where}: stats_null_count ${m.stats_null_count}, expected ${nulls}`);
    const col = ident(f.name);
    const [agg] = await q(`SELECT min(${col})::VARCHAR AS mn, max(${col})::VARCHAR AS mx FROM ${src}
                           WHERE file_row_number >= ${lo} AND file_row_number < ${hi}`);
    if ((m.stats_min_value ?? null) !== agg.mn) fail(`${where}: stats_min_value ${m.stats_min_value}, DuckDB min() ${agg.mn}`);
    if ((m.stats_max_value ?? null) !== agg.mx) fail(`${where}: stats_max_value ${m.stats_max_value}, DuckDB max() ${agg.mx}`);
    // The deprecated min/max, where written (signed orders only), must say the same.
    if (m.stats_min !== null && m.stats_min !== m.stats_min_value) fail(`${where}: legacy stats_min ${m.stats_min} != ${m.stats_min_value}`);
    if (m.stats_max !== null && m.stats_max !== m.stats_max_value) fail(`${where}: legacy stats_max ${m.stats_max} != ${m.stats_max_value}`);
    stats++;
  }

  // 5. Key/value metadata.
  const kv = await q(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${sq(file)})`);
  const gotKv = Object.fromEntries(kv.map((e) => [e.k, e.v]));
  if (JSON.stringify(gotKv) !== JSON.stringify(expected.key_value_metadata)) {
    fail(`key_value_metadata ${JSON.stringify(gotKv)}, expected ${JSON.stringify(expected.key_value_metadata)}`);
  }

  if (errors.length) {
    console.log(`FAIL ${name}:\n  ${errors.join('\n  ')}`);
    return false;
  }
  console.log(`ok ${name}: ${rows.length} rows, ${values} values, ${stats} column chunk statistics, ${fields.length} field ids`);
  return true;
}

const dir = process.argv[2];
if (!dir) { console.error('usage: node parquet_check.mjs <dir>'); process.exit(2); }
const names = readdirSync(dir).filter((f) => f.endsWith('.expected.json')).map((f) => f.slice(0, -'.expected.json'.length)).sort();
if (names.length === 0) { console.log(`FAIL: no *.expected.json in ${dir}`); process.exit(1); }
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
let ok = true;
for (const name of names) {
  try {
    ok = (await checkFile(conn, dir, name)) && ok;
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message}`);
    ok = false;
  }
}
process.exit(ok ? 0 : 1);
