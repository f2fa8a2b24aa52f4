// Checks a table fluss-cpp tiered (fluss_tiered_interop write; README.md, TieredTableInterop) against
// the rows the Fluss log holds (expected.json), with readers nobody here wrote:
//   1. avsc decodes every manifest list and manifest reachable from every snapshot of the table
//      metadata: the spec's field ids and header keys, counts, sequence numbers, live files;
//   2. DuckDB read_parquet over every data file of the current snapshot returns exactly the expected
//      rows of that file (bucket and offset range from the file name and record_count), every value
//      per type incl. __bucket/__offset/__timestamp; parquet_metadata's min/max/null_count equal what
//      those rows give;
//   3. the manifest's column statistics of each file (sizes, value/null/NaN counts, lower/upper
//      bounds decoded per Iceberg type) agree with the file's expected rows;
//   4. icebird's icebergRead over the table's current snapshot returns exactly the expected rows.
// Usage: node tiered_check.mjs <expected.json>; exit 1 naming the file/column/row of each difference.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { DuckDBInstance } from '@duckdb/node-api';
import { icebergRead } from 'icebird';
import { hex, sq, toExpectedForm } from './parquet_values.mjs';

const expectedPath = process.argv[2];
if (!expectedPath) throw new Error('usage: node tiered_check.mjs <expected.json>');
const exp = JSON.parse(readFileSync(expectedPath, 'utf8'));
const fields = exp.fields;
const errors = [];
let checks = 0;
function expect(cond, message) {
  checks++;
  if (!cond && errors.length < 60) errors.push(message);
  return cond;
}
const localPath = (uri) => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);
const rowKey = (bucket, offset) => `${bucket}/${offset}`;
const expectedRows = new Map(exp.rows.map((r) => [rowKey(r.bucket, r.offset), r]));

// --- value order per Fluss type, on the expected forms (parquet_interop_writer.cc) -----------------
function floatOf(bits, width) {
  const view = new DataView(new ArrayBuffer(8));
  if (width === 4) {
    view.setUint32(0, parseInt(bits, 16), true);
    return view.getFloat32(0, true);
  }
  view.setBigUint64(0, BigInt(`0x${bits}`), true);
  return view.getFloat64(0, true);
}
// A comparable value of an expected form, or undefined for null / NaN (not part of min/max).
function comparable(v, f) {
  if (v === null) return undefined;
  const t = f.duckdb_type;
  if (t === 'FLOAT' || t === 'DOUBLE') {
    const x = floatOf(v, t === 'FLOAT' ? 4 : 8);
    return Number.isNaN(x) ? undefined : x;
  }
  if (t === 'BOOLEAN') return v ? 1 : 0;
  if (t === 'BIGINT' || t.startsWith('DECIMAL') || t === 'TIME' || t.startsWith('TIMESTAMP')) return BigInt(v);
  if (t === 'VARCHAR') return Buffer.from(v, 'utf8');
  if (t === 'BLOB') return Buffer.from(v, 'hex');
  return v;  // TINYINT, SMALLINT, INTEGER, DATE: numbers
}
function cmp(a, b) {
  if (Buffer.isBuffer(a)) return Buffer.compare(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}
const isNaNForm = (v, f) => v !== null && (f.duckdb_type === 'FLOAT' || f.duckdb_type === 'DOUBLE') &&
  Number.isNaN(floatOf(v, f.duckdb_type === 'FLOAT' ? 4 : 8));
// Per column of `rows`: nulls, NaNs, min and max (comparables).
function columnFacts(rows, c) {
  const f = fields[c];
  let nulls = 0, nans = 0, min, max;
  for (const r of rows) {
    const v = r.values[c];
    if (v === null) { nulls++; continue; }
    if (isNaNForm(v, f)) { nans++; continue; }
    const x = comparable(v, f);
    if (min === undefined || cmp(x, min) < 0) min = x;
    if (max === undefined || cmp(x, max) > 0) max = x;
  }
  return { nulls, nans, min, max };
}
const show = (x) => (Buffer.isBuffer(x) ? `0x${x.toString('hex')}` : String(x));

// --- 1. avsc: manifest lists and manifests -------------------------------------------------------
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});
function decodeAvroFile(path) {
  return new Promise((resolve, reject) => {
    const out = { records: [] };
    avro.createFileDecoder(path, { parseHook: (schema) => avro.Type.forSchema(schema, { registry: { long: bigLong } }) })
      .on('metadata', (type, codec, header) => {
        out.meta = Object.fromEntries(Object.entries(header.meta).map(([k, v]) => [k, v.toString('utf8')]));
      })
      .on('data', (r) => out.records.push(r))
      .on('error', reject)
      .on('end', () => resolve(out));
  });
}
const map = (id, keyId, valueId, valueType) => ({ id, optional: true, map: { keyId, valueId, valueType } });
const DATA_FILE = {
  content: { id: 134, type: 'int' },
  file_path: { id: 100, type: 'string' },
  file_format: { id: 101, type: 'string' },
  partition: { id: 102, record: {} },
  record_count: { id: 103, type: 'long' },
  file_size_in_bytes: { id: 104, type: 'long' },
  column_sizes: map(108, 117, 118, 'long'),
  value_counts: map(109, 119, 120, 'long'),
  null_value_counts: map(110, 121, 122, 'long'),
  nan_value_counts: map(137, 138, 139, 'long'),
  lower_bounds: map(125, 126, 127, 'bytes'),
  upper_bounds: map(128, 129, 130, 'bytes'),
};
const MANIFEST_ENTRY = {
  status: { id: 0, type: 'int' },
  snapshot_id: { id: 1, type: 'long', optional: true },
  sequence_number: { id: 3, type: 'long', optional: true },
  file_sequence_number: { id: 4, type: 'long', optional: true },
  data_file: { id: 2, record: DATA_FILE },
};
const MANIFEST_FILE = {
  manifest_path: { id: 500, type: 'string' },
  manifest_length: { id: 501, type: 'long' },
  partition_spec_id: { id: 502, type: 'int' },
  content: { id: 517, type: 'int' },
  sequence_number: { id: 515, type: 'long' },
  min_sequence_number: { id: 516, type: 'long' },
  added_snapshot_id: { id: 503, type: 'long' },
  added_files_count: { id: 504, type: 'int' },
  existing_files_count: { id: 505, type: 'int' },
  deleted_files_count: { id: 506, type: 'int' },
  added_rows_count: { id: 512, type: 'long' },
  existing_rows_count: { id: 513, type: 'long' },
  deleted_rows_count: { id: 514, type: 'long' },
};
const typeName = (t) => (typeof t === 'string' ? t : t.type);
function checkRecord(schema, spec, where) {
  if (!expect(schema && schema.type === 'record' && Array.isArray(schema.fields), `${where}: not a record schema`)) return;
  for (const [name, s] of Object.entries(spec)) {
    const f = schema.fields.find((x) => x.name === name);
    if (!expect(f, `${where}: field '${name}' missing`)) continue;
    expect(f['field-id'] === s.id, `${where}.${name}: field-id ${f['field-id']}, expected ${s.id}`);
    let t = f.type;
    if (s.optional) {
      if (!expect(Array.isArray(t) && t[0] === 'null', `${where}.${name}: optional field is not ["null", T]`)) continue;
      t = t[1];
    }
    if (s.type) expect(typeName(t) === s.type, `${where}.${name}: type ${JSON.stringify(t)}, expected ${s.type}`);
    if (s.record) checkRecord(t, s.record, `${where}.${name}`);
    if (s.map) {
      expect(t.type === 'array' && t.logicalType === 'map', `${where}.${name}: map is not an array with logicalType map`);
      checkRecord(t.items, { key: { id: s.map.keyId, type: 'int' }, value: { id: s.map.valueId, type: s.map.valueType } },
        `${where}.${name}.items`);
    }
  }
}
const toMap = (arr) => new Map((arr ?? []).map((kv) => [kv.key, kv.value]));

const tableDir = exp.table_dir;
const hint = readFileSync(`${tableDir}/metadata/version-hint.text`, 'utf8').trim();
const meta = JSON.parse(readFileSync(`${tableDir}/metadata/v${hint}.metadata.json`, 'utf8'), (k, v) => v);
const schema = meta.schemas.find((s) => s['schema-id'] === meta['current-schema-id']);
expect(schema && schema.fields.length === fields.length, `metadata: current schema has ${schema?.fields.length} fields, expected ${fields.length}`);
fields.forEach((f, i) => {
  const s = schema?.fields[i];
  expect(s && s.id === f.field_id && s.name === f.name && s.type === f.iceberg_type && s.required === !f.nullable,
    `metadata: schema field ${i} ${JSON.stringify(s)}, expected ${f.name} id ${f.field_id} ${f.iceberg_type}`);
});
expect(meta.snapshots.length === exp.snapshots.length, `metadata: ${meta.snapshots.length} snapshots, expected ${exp.snapshots.length}`);
// Snapshot ids are 63-bit: compare them as the decimal text in the JSON.
const rawMeta = readFileSync(`${tableDir}/metadata/v${hint}.metadata.json`, 'utf8');
const idsInJson = [...rawMeta.matchAll(/"snapshot-id"\s*:\s*(\d+)/g)].map((m) => m[1]);
const manifestCache = new Map();
let listsRead = 0;
let previousLive = new Set();
const liveBySnapshot = [];
for (let s = 0; s < meta.snapshots.length; s++) {
  const snap = meta.snapshots[s];
  const want = exp.snapshots[s];
  const where = `snapshot ${s + 1}`;
  if (want) {
    expect(idsInJson.includes(String(want.snapshot_id)), `${where}: id ${want.snapshot_id} not in the metadata`);
    expect(JSON.stringify(JSON.parse(snap.summary['fluss.bucket-offsets'])) === JSON.stringify(want.offsets),
      `${where}: fluss.bucket-offsets ${snap.summary['fluss.bucket-offsets']}, expected ${JSON.stringify(want.offsets)}`);
  }
  expect(snap['sequence-number'] === s + 1, `${where}: sequence-number ${snap['sequence-number']}`);
  const listPath = localPath(snap['manifest-list']);
  const list = await decodeAvroFile(listPath);
  listsRead++;
  checkRecord(JSON.parse(list.meta['avro.schema']), MANIFEST_FILE, `${basename(listPath)} manifest_file`);
  expect(list.meta['format-version'] === '2', `${basename(listPath)}: format-version ${list.meta['format-version']}`);
  for (const k of ['snapshot-id', 'sequence-number', 'parent-snapshot-id']) expect(k in list.meta, `${basename(listPath)}: header key ${k} missing`);
  const live = new Set();
  let liveRows = 0n;
  for (const mf of list.records) {
    const mpath = localPath(mf.manifest_path);
    const mwhere = `${where} manifest ${basename(mpath)}`;
    expect(mf.manifest_length === BigInt(statSync(mpath).size), `${mwhere}: manifest_length ${mf.manifest_length}, file ${statSync(mpath).size} bytes`);
    expect(mf.partition_spec_id === 0 && mf.content === 0, `${mwhere}: partition_spec_id/content`);
    let manifest = manifestCache.get(mpath);
    if (!manifest) {
      manifest = await decodeAvroFile(mpath);
      manifestCache.set(mpath, manifest);
      checkRecord(JSON.parse(manifest.meta['avro.schema']), MANIFEST_ENTRY, `${basename(mpath)} manifest_entry`);
      for (const k of ['schema', 'partition-spec', 'format-version', 'content']) {
        expect(k in manifest.meta, `${basename(mpath)}: header key ${k} missing`);
      }
      expect(manifest.meta['format-version'] === '2' && manifest.meta.content === 'data', `${basename(mpath)}: format-version/content`);
      expect(JSON.parse(manifest.meta.schema).fields?.length === fields.length, `${basename(mpath)}: header schema`);
    }
    const added = manifest.records.filter((e) => e.status === 1);
    const existing = manifest.records.filter((e) => e.status === 0);
    const sum = (es) => es.reduce((a, e) => a + e.data_file.record_count, 0n);
    expect(mf.added_files_count === added.length && mf.existing_files_count === existing.length && mf.deleted_files_count === 0,
      `${mwhere}: file counts ${mf.added_files_count}/${mf.existing_files_count}/${mf.deleted_files_count}`);
    expect(mf.added_rows_count === sum(added) && mf.existing_rows_count === sum(existing) && mf.deleted_rows_count === 0n,
      `${mwhere}: row counts`);
    expect(mf.min_sequence_number <= mf.sequence_number && mf.sequence_number <= BigInt(s + 1), `${mwhere}: sequence numbers`);
    for (const e of manifest.records) {
      const df = e.data_file;
      const seq = e.sequence_number ?? mf.sequence_number;  // null: inherited (ADDED entries)
      expect(seq === (e.status === 1 ? mf.sequence_number : seq) && e.file_sequence_number !== undefined,
        `${mwhere}: ${basename(df.file_path)} sequence numbers`);
      expect(df.content === 0 && df.file_format === 'PARQUET', `${mwhere}: ${basename(df.file_path)} content/format`);
      if (e.status !== 2) {
        expect(!live.has(df.file_path), `${where}: ${basename(df.file_path)} is live twice`);
        live.add(df.file_path);
        liveRows += df.record_count;
      }
    }
  }
  // Each snapshot keeps the previous one's files and adds the round's.
  for (const p of previousLive) expect(live.has(p), `${where}: lost ${basename(p)} of the previous snapshot`);
  if (want) {
    const total = Object.values(want.offsets).reduce((a, o) => a + BigInt(o), 0n);
    expect(liveRows === total, `${where}: live files hold ${liveRows} rows, the offsets ${total}`);
    expect(live.size - previousLive.size === want.files, `${where}: ${live.size - previousLive.size} new files, the round wrote ${want.files}`);
  }
  previousLive = live;
  liveBySnapshot.push(live);
}
// Entries of the current snapshot, by file path.
const current = meta.snapshots.find((s) => s['snapshot-id'] === meta['current-snapshot-id']) ?? meta.snapshots.at(-1);
const currentEntries = [];
{
  const list = await decodeAvroFile(localPath(current['manifest-list']));
  for (const mf of list.records) {
    for (const e of manifestCache.get(localPath(mf.manifest_path)).records) if (e.status !== 2) currentEntries.push(e);
  }
}

// --- 2./3. DuckDB and the manifest statistics, per data file ---------------------------------------
const ibType = (f) => f.iceberg_type;
// The bound as a comparable of the column's expected forms; undefined when its length is wrong.
function decodeBound(buf, f) {
  const t = ibType(f);
  const b = Buffer.from(buf);
  if (t === 'boolean') return b.length === 1 && b[0] <= 1 ? b[0] : undefined;
  if (t === 'int' || t === 'date') return b.length === 4 ? b.readInt32LE(0) : undefined;
  if (t === 'long' || t === 'time' || t === 'timestamp' || t === 'timestamptz') return b.length === 8 ? b.readBigInt64LE(0) : undefined;
  if (t === 'float') return b.length === 4 && !Number.isNaN(b.readFloatLE(0)) ? b.readFloatLE(0) : undefined;
  if (t === 'double') return b.length === 8 && !Number.isNaN(b.readDoubleLE(0)) ? b.readDoubleLE(0) : undefined;
  if (t.startsWith('fixed')) return b.length === Number(/\[(\d+)\]/.exec(t)[1]) ? b : undefined;
  if (t.startsWith('decimal')) {
    if (b.length === 0 || b.length > 16) return undefined;
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    if (b.length && b[0] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v;
  }
  return b;  // string, binary, fixed
}
const truncatable = (f) => f.iceberg_type === 'string' || f.iceberg_type === 'binary';
const TRUNCATE = 16;
const codePoints = (buf) => [...buf.toString('utf8')].length;

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const q = async (sql) => (await conn.runAndReadAll(sql)).getRowObjects();
let filesChecked = 0, valuesChecked = 0, rowsInFiles = 0;
const seenRows = new Set();
for (const entry of currentEntries) {
  const df = entry.data_file;
  const path = localPath(df.file_path);
  const name = basename(path);
  const m = /^(\d+)-(\d+)-[0-9a-f]+\.parquet$/.exec(name);
  if (!expect(m, `${name}: not named <bucket>-<start offset>-<id>.parquet`)) continue;
  const bucket = Number(m[1]);
  const start = Number(m[2]);
  const count = Number(df.record_count);
  const rows = [];
  for (let o = start; o < start + count; o++) {
    const r = expectedRows.get(rowKey(bucket, o));
    if (expect(r, `${name}: offset ${o} of bucket ${bucket} is not in the Fluss log`)) rows.push(r);
    expect(!seenRows.has(rowKey(bucket, o)), `${name}: bucket ${bucket} offset ${o} is in two files`);
    seenRows.add(rowKey(bucket, o));
  }
  expect(df.file_size_in_bytes === BigInt(statSync(path).size), `${name}: file_size_in_bytes ${df.file_size_in_bytes}, file ${statSync(path).size}`);

  // read_parquet: every value of every row, in file order.
  const src = `read_parquet(${sq(path)}, file_row_number=true)`;
  const described = await q(`DESCRIBE SELECT * EXCLUDE (file_row_number) FROM ${src}`);
  fields.forEach((f, i) => expect(described[i]?.column_name === f.name && described[i]?.column_type === f.duckdb_type,
    `${name}: column ${i} is ${described[i]?.column_name} ${described[i]?.column_type}, expected ${f.name} ${f.duckdb_type}`));
  const got = await q(`SELECT * FROM ${src} ORDER BY file_row_number`);
  expect(got.length === rows.length, `${name}: DuckDB reads ${got.length} rows, expected ${rows.length}`);
  for (let r = 0; r < Math.min(got.length, rows.length); r++) {
    fields.forEach((f, c) => {
      const g = toExpectedForm(got[r][f.name], f.duckdb_type);
      const w = rows[r].values[c];
      valuesChecked++;
      expect(g === w, `${name} row ${r} (bucket ${rows[r].bucket} offset ${rows[r].offset}) column ${f.name}: DuckDB reads ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`);
    });
  }
  rowsInFiles += got.length;

  // parquet_metadata: per row group and column, null count and min/max against the expected rows.
  const groups = await q(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${sq(path)}) ORDER BY row_group_id`);
  let first = 0;
  for (const g of groups) {
    const n = Number(g.row_group_num_rows);
    const part = rows.slice(first, first + n);
    for (let c = 0; c < fields.length; c++) {
      const f = fields[c];
      const [s] = await q(`SELECT stats_null_count AS nulls, TRY_CAST(stats_min_value AS ${f.duckdb_type}) AS mn,
                                  TRY_CAST(stats_max_value AS ${f.duckdb_type}) AS mx
                           FROM parquet_metadata(${sq(path)}) WHERE row_group_id = ${g.row_group_id} AND column_id = ${c}`);
      const facts = columnFacts(part, c);
      const where = `${name} row group ${g.row_group_id} column ${f.name}`;
      expect(Number(s.nulls) === facts.nulls, `${where}: parquet_metadata null_count ${s.nulls}, expected ${facts.nulls}`);
      for (const [label, v, want] of [['min', s.mn, facts.min], ['max', s.mx, facts.max]]) {
        const gotV = v === null ? undefined : comparable(toExpectedForm(v, f.duckdb_type), f);
        // DuckDB does not show an infinite float bound (its stats_*_value is null then).
        if (gotV === undefined && typeof want === 'number' && !Number.isFinite(want)) continue;
        const same = gotV === undefined || want === undefined ? gotV === want : cmp(gotV, want) === 0;
        expect(same, `${where}: parquet_metadata ${label} ${show(gotV)}, expected ${show(want)}`);
      }
    }
    first += n;
  }

  // The manifest's statistics of this file.
  const sizes = toMap(df.column_sizes), values = toMap(df.value_counts), nulls = toMap(df.null_value_counts);
  const nans = toMap(df.nan_value_counts), lower = toMap(df.lower_bounds), upper = toMap(df.upper_bounds);
  let sizeSum = 0n;
  fields.forEach((f, c) => {
    const id = f.field_id;
    const where = `${name} column ${f.name} (id ${id})`;
    const facts = columnFacts(rows, c);
    expect(sizes.get(id) > 0n, `${where}: column_sizes ${sizes.get(id)}`);
    sizeSum += sizes.get(id) ?? 0n;
    expect(values.get(id) === BigInt(count), `${where}: value_counts ${values.get(id)}, expected ${count}`);
    expect(nulls.get(id) === BigInt(facts.nulls), `${where}: null_value_counts ${nulls.get(id)}, expected ${facts.nulls}`);
    if (f.iceberg_type === 'float' || f.iceberg_type === 'double') {
      expect(nans.get(id) === BigInt(facts.nans), `${where}: nan_value_counts ${nans.get(id)}, expected ${facts.nans}`);
    } else {
      expect(!nans.has(id), `${where}: nan_value_counts for a ${f.iceberg_type} column`);
    }
    if (facts.min === undefined) {
      expect(!lower.has(id) && !upper.has(id), `${where}: bounds for a column with no non-null, non-NaN value`);
      return;
    }
    if (!expect(lower.has(id), `${where}: no lower bound`)) return;
    const lo = decodeBound(lower.get(id), f);
    if (!expect(lo !== undefined, `${where}: lower bound 0x${hex(lower.get(id))} is no ${f.iceberg_type} value`)) return;
    expect(cmp(lo, facts.min) <= 0, `${where}: lower bound ${show(lo)} above the minimum ${show(facts.min)}`);
    const long = (x) => truncatable(f) && (f.iceberg_type === 'string' ? codePoints(x) : x.length) > TRUNCATE;
    if (long(facts.min)) {
      expect(facts.min.subarray(0, lo.length).equals(lo), `${where}: lower bound ${show(lo)} is not a prefix of the minimum ${show(facts.min)}`);
    } else {
      // Exact (a zero float minimum may be -0.0: compares equal to +0.0).
      expect(cmp(lo, facts.min) === 0, `${where}: lower bound ${show(lo)}, minimum ${show(facts.min)}`);
    }
    // A truncated upper bound exists unless the maximum's first 16 code points (bytes) cannot grow.
    const head = long(facts.max) && (f.iceberg_type === 'string'
      ? [...facts.max.toString('utf8')].slice(0, TRUNCATE).map((ch) => ch.codePointAt(0))
      : [...facts.max.subarray(0, TRUNCATE)]);
    if (head && head.every((x) => x === (f.iceberg_type === 'string' ? 0x10ffff : 0xff))) {
      expect(!upper.has(id), `${where}: an upper bound although ${show(facts.max)} has none after truncation`);
      return;
    }
    if (!expect(upper.has(id), `${where}: no upper bound`)) return;
    const hi = decodeBound(upper.get(id), f);
    if (!expect(hi !== undefined, `${where}: upper bound 0x${hex(upper.get(id))} is no ${f.iceberg_type} value`)) return;
    expect(cmp(hi, facts.max) >= 0, `${where}: upper bound ${show(hi)} below the maximum ${show(facts.max)}`);
    if (!long(facts.max)) expect(cmp(hi, facts.max) === 0, `${where}: upper bound ${show(hi)}, maximum ${show(facts.max)}`);
  });
  expect(sizeSum < BigInt(statSync(path).size), `${name}: column sizes ${sizeSum} exceed the file`);
  filesChecked++;
}
expect(seenRows.size === exp.rows.length, `the current snapshot's files hold ${seenRows.size} rows, the Fluss log ${exp.rows.length}`);

// --- 4. icebird ------------------------------------------------------------------------------------
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const u = String(url);
  if (!u.startsWith('file:')) return realFetch(url, init);
  try {
    return new Response(readFileSync(fileURLToPath(u)), { status: 200 });
  } catch {
    return new Response(null, { status: 404, statusText: 'Not Found' });
  }
};
// icebird (hyparquet) value forms: DECIMAL as Number(unscaled) * 10^-scale, TIMESTAMP as a Date (ms),
// DATE as a Date, TIME as BigInt µs, INT64 as BigInt, BYTES and BINARY(n) decoded as UTF-8 text
// (lossy: compared with the same decoding of the expected bytes; DuckDB checks the bytes exactly).
const utf8 = new TextDecoder();
function icebirdForm(v, f) {
  if (v === null || v === undefined) return null;
  const t = f.duckdb_type;
  if (t === 'FLOAT' || t === 'DOUBLE') {
    if (Number.isNaN(v)) return 'NaN';
    const view = new DataView(new ArrayBuffer(8));
    if (t === 'FLOAT') { view.setFloat32(0, v, true); return view.getUint32(0, true).toString(16).padStart(8, '0'); }
    view.setFloat64(0, v, true);
    return view.getBigUint64(0, true).toString(16).padStart(16, '0');
  }
  if (t === 'BIGINT' || t === 'TIME') return v.toString();
  if (t.startsWith('DECIMAL')) return v;
  if (t === 'DATE') return v.getTime() / 86400000;
  if (t.startsWith('TIMESTAMP')) return v.getTime();
  if (t === 'BLOB') return typeof v === 'string' ? v : utf8.decode(v);
  return v;
}
function expectedIcebirdForm(w, f) {
  if (w === null) return null;
  const t = f.duckdb_type;
  if ((t === 'FLOAT' || t === 'DOUBLE') && isNaNForm(w, f)) return 'NaN';
  if (t.startsWith('DECIMAL')) return Number(BigInt(w)) * 10 ** -Number(/,(\d+)\)/.exec(t)[1]);
  if (t.startsWith('TIMESTAMP')) return Number(BigInt(w) / 1000n);
  if (t === 'BLOB') return utf8.decode(Buffer.from(w, 'hex'));
  return w;
}
const ibRows = await icebergRead({ tableUrl: `file://${tableDir}` });
expect(ibRows.length === exp.rows.length, `icebird: ${ibRows.length} rows, expected ${exp.rows.length}`);
const ibSeen = new Set();
let ibValues = 0;
for (const row of ibRows) {
  const key = rowKey(row.__bucket, row.__offset);
  const want = expectedRows.get(key);
  if (!expect(want, `icebird: row bucket ${row.__bucket} offset ${row.__offset} is not in the Fluss log`)) continue;
  expect(!ibSeen.has(key), `icebird: bucket ${row.__bucket} offset ${row.__offset} read twice`);
  ibSeen.add(key);
  fields.forEach((f, c) => {
    const g = icebirdForm(row[f.name], f);
    const w = expectedIcebirdForm(want.values[c], f);
    ibValues++;
    expect(g === w, `icebird: bucket ${want.bucket} offset ${want.offset} column ${f.name}: reads ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`);
  });
}

if (errors.length) {
  console.error(`tiered_check: ${errors.length} of ${checks} checks failed:`);
  for (const e of errors) console.error(`  - ${e}`);
  process.exit(1);
}
console.log(`tiered_check: ${checks} checks passed: ${meta.snapshots.length} snapshots, ${listsRead} manifest lists and ` +
  `${manifestCache.size} manifests (avsc); ${filesChecked} data files, ${rowsInFiles} rows, ${valuesChecked} values (DuckDB) ` +
  `with their parquet_metadata and manifest statistics; ${ibRows.length} rows, ${ibValues} values (icebird)`);
