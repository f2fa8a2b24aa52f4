// Checks the Iceberg table fluss_iceberg_interop wrote (README.md, IcebergInterop):
//   1. the table metadata JSON (latest v<N>.metadata.json via version-hint.text) has every field the
//      Iceberg v2 spec requires, with the right types and consistent ids;
//   2. avsc decodes every manifest list and manifest with its container-file decoder; the embedded
//      Avro schema carries the spec's field ids (and element/key/value ids), the header the spec's
//      keys, and the records the expected values (expected.json);
//   3. icebird reads the table metadata and the current snapshot's manifests (its own Avro reader).
// Usage: node iceberg_check.mjs <dir written by fluss_iceberg_interop write>
import { readFileSync, statSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { icebergLatestVersion, icebergManifests, icebergMetadata } from 'icebird';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node iceberg_check.mjs <dir>');
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8'));
const errors = [];
let checks = 0;
function expect(cond, message) {
  checks++;
  if (!cond) errors.push(message);
  return cond;
}
const localPath = (uri) => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);
const hex = (b) => Buffer.from(b).toString('hex');
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// avsc reads longs as BigInt (snapshot ids use all 63 bits; avsc's default long type refuses them).
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
        out.type = type;
        out.codec = codec;
        out.meta = Object.fromEntries(Object.entries(header.meta).map(([k, v]) => [k, v.toString('utf8')]));
      })
      .on('data', (r) => out.records.push(r))
      .on('error', reject)
      .on('end', () => resolve(out));
  });
}

// --- field-id specs (Iceberg table spec v2) ------------------------------------------------------
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
  key_metadata: { id: 131, type: 'bytes', optional: true },
  split_offsets: { id: 132, optional: true, list: { elementId: 133, type: 'long' } },
  equality_ids: { id: 135, optional: true, list: { elementId: 136, type: 'int' } },
  sort_order_id: { id: 140, type: 'int', optional: true },
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
  partitions: {
    id: 507, optional: true, list: {
      elementId: 508, record: {
        contains_null: { id: 509, type: 'boolean' },
        contains_nan: { id: 518, type: 'boolean', optional: true },
        lower_bound: { id: 510, type: 'bytes', optional: true },
        upper_bound: { id: 511, type: 'bytes', optional: true },
      },
    },
  },
  key_metadata: { id: 519, type: 'bytes', optional: true },
};

const typeName = (t) => (typeof t === 'string' ? t : t.type);

// Checks a record schema (raw JSON from the file header) against a spec: every field present, with
// its field-id, its type, and optional fields as ["null", T] with default null.
function checkRecord(schema, spec, where) {
  if (!expect(schema && schema.type === 'record' && Array.isArray(schema.fields), `${where}: not a record schema`)) return;
  for (const [name, s] of Object.entries(spec)) {
    const f = schema.fields.find((x) => x.name === name);
    if (!expect(f, `${where}: field '${name}' missing`)) continue;
    expect(f['field-id'] === s.id, `${where}.${name}: field-id ${f['field-id']}, expected ${s.id}`);
    let t = f.type;
    if (s.optional) {
      if (!expect(Array.isArray(t) && t.length === 2 && t[0] === 'null', `${where}.${name}: optional field is not ["null", T]`)) continue;
      expect(f.default === null, `${where}.${name}: optional field without default null`);
      t = t[1];
    } else {
      expect(!Array.isArray(t), `${where}.${name}: required field is a union`);
    }
    if (s.type) expect(typeName(t) === s.type, `${where}.${name}: type ${JSON.stringify(t)}, expected ${s.type}`);
    if (s.record) checkRecord(t, s.record, `${where}.${name}`);
    if (s.map) {
      expect(t.type === 'array' && t.logicalType === 'map', `${where}.${name}: map is not an array with logicalType map`);
      checkRecord(t.items, { key: { id: s.map.keyId, type: 'int' }, value: { id: s.map.valueId, type: s.map.valueType } },
        `${where}.${name}.items`);
    }
    if (s.list) {
      expect(t.type === 'array' && t['element-id'] === s.list.elementId,
        `${where}.${name}: list without element-id ${s.list.elementId}`);
      if (s.list.type) expect(typeName(t.items) === s.list.type, `${where}.${name}: element type ${JSON.stringify(t.items)}`);
      if (s.list.record) checkRecord(t.items, s.list.record, `${where}.${name}.element`);
    }
  }
}

// --- 1. table metadata JSON ------------------------------------------------------------------------
const tableDir = expected.table_dir;
const hint = readFileSync(`${tableDir}/metadata/version-hint.text`, 'utf8').trim();
expect(hint === String(expected.version), `version-hint.text is '${hint}', expected ${expected.version}`);
// Snapshot ids use 63 bits: keep them as strings.
const metaText = readFileSync(`${tableDir}/metadata/v${hint}.metadata.json`, 'utf8')
  .replace(/("(?:snapshot-id|parent-snapshot-id|current-snapshot-id)"\s*:\s*)(-?\d+)/g, '$1"$2"');
const meta = JSON.parse(metaText);
const isInt = (v) => Number.isInteger(v);
const isId = (v) => typeof v === 'string' && /^-?\d+$/.test(v);
const REQUIRED = {
  'format-version': (v) => v === 2,
  'table-uuid': (v) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v),
  location: (v) => v === `file://${tableDir}`,
  'last-sequence-number': isInt,
  'last-updated-ms': isInt,
  'last-column-id': isInt,
  schemas: Array.isArray,
  'current-schema-id': isInt,
  'partition-specs': Array.isArray,
  'default-spec-id': isInt,
  'last-partition-id': isInt,
  'sort-orders': Array.isArray,
  'default-sort-order-id': isInt,
};
for (const [key, ok] of Object.entries(REQUIRED)) {
  expect(key in meta && ok(meta[key]), `metadata: required '${key}' missing or invalid: ${JSON.stringify(meta[key])}`);
}
const schema = meta.schemas.find((s) => s['schema-id'] === meta['current-schema-id']);
expect(schema && schema.type === 'struct', 'metadata: current-schema-id names no struct schema');
if (schema) {
  for (const f of schema.fields) {
    expect(isInt(f.id) && typeof f.name === 'string' && typeof f.required === 'boolean' && typeof f.type === 'string',
      `metadata: schema field ${JSON.stringify(f)} lacks id/name/required/type`);
  }
  const maxId = Math.max(...schema.fields.map((f) => f.id));
  expect(meta['last-column-id'] >= maxId, `metadata: last-column-id ${meta['last-column-id']} < highest field id ${maxId}`);
  expect(eq(schema, expected.schema), 'metadata: schema differs from the one fluss-cpp reported');
  const types = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]));
  expect(eq(types, {
    order_id: 'long', customer: 'string', amount: 'decimal(10, 2)', qty: 'int', weight: 'double', ratio: 'float',
    paid: 'boolean', tiny: 'int', small: 'int', code: 'string', digest: 'fixed[16]', payload: 'binary', day: 'date',
    at_time: 'time', created: 'timestamp', updated: 'timestamptz',
  }), `metadata: Iceberg types ${JSON.stringify(types)}`);
  expect(eq(schema['identifier-field-ids'], [0]), 'metadata: identifier-field-ids is not [0]');
  expect(schema.fields[0].required === true && schema.fields[1].required === false, 'metadata: required flags');
}
const spec = meta['partition-specs'].find((s) => s['spec-id'] === meta['default-spec-id']);
expect(spec && Array.isArray(spec.fields) && spec.fields.length === 0, 'metadata: default spec is not the unpartitioned spec');
const order = meta['sort-orders'].find((s) => s['order-id'] === meta['default-sort-order-id']);
expect(order && Array.isArray(order.fields), 'metadata: default sort order missing');
expect(isId(meta['current-snapshot-id']) && meta['current-snapshot-id'] === expected.current_snapshot_id,
  `metadata: current-snapshot-id ${meta['current-snapshot-id']}, expected ${expected.current_snapshot_id}`);
expect(meta.refs?.main?.type === 'branch' && meta.refs.main['snapshot-id'] === meta['current-snapshot-id'],
  'metadata: refs.main does not point at the current snapshot');
expect(Array.isArray(meta.snapshots) && meta.snapshots.length === expected.snapshots.length, 'metadata: snapshot count');
expect(Array.isArray(meta['snapshot-log']) && meta['snapshot-log'].length === expected.snapshots.length, 'metadata: snapshot-log');
expect(Array.isArray(meta['metadata-log']) && meta['metadata-log'].length === expected.version - 1, 'metadata: metadata-log');
for (const e of meta['metadata-log'] ?? []) {
  expect(isInt(e['timestamp-ms']) && existsSync(localPath(e['metadata-file'])), `metadata: metadata-log entry ${JSON.stringify(e)}`);
}
expect(meta.properties?.['fluss.table.path'] === 'db.orders', 'metadata: properties lost');

// --- 2. manifest lists and manifests through avsc --------------------------------------------------
const expectedFile = new Map();
for (const s of expected.snapshots) for (const f of s.added_files) expectedFile.set(f.file_path, f);
const mapToObject = (arr, conv) => Object.fromEntries((arr ?? []).map(({ key, value }) => [String(key), conv(value)]));

function checkDataFile(df, where) {
  const want = expectedFile.get(df.file_path);
  if (!expect(want, `${where}: unexpected data file ${df.file_path}`)) return;
  expect(df.content === 0 && df.file_format === want.file_format, `${where}: content/format ${df.content}/${df.file_format}`);
  expect(df.record_count === BigInt(want.record_count), `${where}: record_count ${df.record_count}`);
  expect(df.file_size_in_bytes === BigInt(want.file_size_in_bytes), `${where}: file_size_in_bytes ${df.file_size_in_bytes}`);
  expect(eq(Object.keys(df.partition), []), `${where}: partition is not an empty struct`);
  for (const k of ['column_sizes', 'value_counts', 'null_value_counts']) {
    expect(eq(mapToObject(df[k], Number), want[k]), `${where}: ${k} ${JSON.stringify(mapToObject(df[k], Number))}`);
  }
  expect(eq(mapToObject(df.lower_bounds, hex), want.lower_bounds), `${where}: lower_bounds differ`);
  expect(eq(mapToObject(df.upper_bounds, hex), want.upper_bounds), `${where}: upper_bounds differ`);
  expect(eq((df.split_offsets ?? []).map(Number), want.split_offsets), `${where}: split_offsets differ`);
}

async function checkManifest(path, where, mf) {
  const m = await decodeAvroFile(path);
  checkRecord(JSON.parse(m.meta['avro.schema']), MANIFEST_ENTRY, `${where} manifest_entry`);
  expect(m.meta['format-version'] === '2' && m.meta.content === 'data', `${where}: format-version/content header`);
  expect(eq(JSON.parse(m.meta['partition-spec']), []) && m.meta['partition-spec-id'] === '0', `${where}: partition-spec header`);
  expect(eq(JSON.parse(m.meta.schema), expected.schema) && m.meta['schema-id'] === '0', `${where}: schema header`);
  for (const [i, e] of m.records.entries()) {
    expect(e.status === 1, `${where} entry ${i}: status ${e.status}, expected ADDED (1)`);
    if (mf) {
      expect(e.snapshot_id === mf.added_snapshot_id, `${where} entry ${i}: snapshot_id ${e.snapshot_id}`);
      expect((e.sequence_number ?? mf.sequence_number) === mf.sequence_number, `${where} entry ${i}: sequence_number`);
    }
    checkDataFile(e.data_file, `${where} entry ${i}`);
  }
  return m;
}

let manifestsRead = 0;
let listsRead = 0;
const cumulative = [];
for (const [i, want] of expected.snapshots.entries()) {
  const snap = meta.snapshots[i];
  if (!expect(snap, `metadata: snapshot ${i} missing`)) continue;
  const where = `snapshot ${snap['snapshot-id']}`;
  expect(snap['snapshot-id'] === want.snapshot_id, `${where}: id differs from ${want.snapshot_id}`);
  expect(snap['sequence-number'] === want.sequence_number && snap['sequence-number'] <= meta['last-sequence-number'],
    `${where}: sequence-number ${snap['sequence-number']}`);
  expect(isInt(snap['timestamp-ms']), `${where}: timestamp-ms`);
  expect(i === 0 ? !('parent-snapshot-id' in snap) : snap['parent-snapshot-id'] === meta.snapshots[i - 1]['snapshot-id'],
    `${where}: parent-snapshot-id`);
  expect(snap.summary?.operation === 'append' && eq(snap.summary, want.summary), `${where}: summary ${JSON.stringify(snap.summary)}`);
  for (const f of want.added_files) cumulative.push(f.file_path);

  const list = await decodeAvroFile(localPath(snap['manifest-list']));
  listsRead++;
  expect(list.codec === 'deflate', `${where}: manifest list codec ${list.codec}`);
  checkRecord(JSON.parse(list.meta['avro.schema']), MANIFEST_FILE, `${where} manifest_file`);
  expect(list.meta['snapshot-id'] === want.snapshot_id && list.meta['format-version'] === '2' &&
    list.meta['sequence-number'] === String(want.sequence_number), `${where}: manifest list header ${JSON.stringify(list.meta)}`);
  const live = [];
  for (const mf of list.records) {
    const path = localPath(mf.manifest_path);
    if (!expect(existsSync(path), `${where}: manifest ${path} does not exist`)) continue;
    expect(BigInt(statSync(path).size) === mf.manifest_length, `${where}: manifest_length ${mf.manifest_length} is not the file size`);
    expect(mf.content === 0 && mf.partition_spec_id === 0, `${where}: manifest content/spec`);
    expect(mf.min_sequence_number <= mf.sequence_number && mf.sequence_number <= BigInt(want.sequence_number),
      `${where}: manifest sequence numbers`);
    const m = await checkManifest(path, `${where} ${path}`, mf);
    manifestsRead++;
    expect(m.records.length === mf.added_files_count + mf.existing_files_count + mf.deleted_files_count,
      `${where}: manifest file counts differ from its entries`);
    expect(m.records.reduce((n, e) => n + e.data_file.record_count, 0n) === mf.added_rows_count, `${where}: added_rows_count`);
    for (const e of m.records) live.push(e.data_file.file_path);
  }
  expect(eq([...live].sort(), [...cumulative].sort()), `${where}: live files ${JSON.stringify(live)}`);
}

// The uncompressed copies.
const plainList = await decodeAvroFile(expected.plain.manifest_list);
expect(plainList.codec === 'null' && plainList.records.length === 1, 'plain manifest list: codec or records');
checkRecord(JSON.parse(plainList.meta['avro.schema']), MANIFEST_FILE, 'plain manifest_file');
expect(plainList.meta['parent-snapshot-id'] === 'null', 'plain manifest list: parent-snapshot-id header');
const plainManifest = await checkManifest(expected.plain.manifest, 'plain manifest');
expect(plainManifest.codec === 'null' && plainManifest.records.length === 1, 'plain manifest: codec or records');

// --- 3. icebird ---------------------------------------------------------------------------------------
// icebird fetches URLs; serve file:// URLs from the local disk.
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
const tableUrl = `file://${tableDir}`;
const latest = await icebergLatestVersion({ tableUrl });
expect(latest === `v${expected.version}`, `icebird: latest version ${latest}`);
const ibMeta = await icebergMetadata({ tableUrl });
expect(ibMeta['format-version'] === 2 && ibMeta['table-uuid'] === meta['table-uuid'], 'icebird: metadata differs');
const ibManifests = await icebergManifests(ibMeta);
const ibFiles = [];
for (const { url, entries } of ibManifests) {
  for (const e of entries) {
    ibFiles.push(e.data_file.file_path);
    const want = expectedFile.get(e.data_file.file_path);
    if (!expect(want, `icebird: unexpected data file ${e.data_file.file_path} in ${url}`)) continue;
    expect(e.status === 1 && e.data_file.content === 0, `icebird: ${e.data_file.file_path} status/content`);
    expect(e.data_file.record_count === BigInt(want.record_count), `icebird: ${e.data_file.file_path} record_count`);
    expect(e.data_file.file_size_in_bytes === BigInt(want.file_size_in_bytes), `icebird: ${e.data_file.file_path} size`);
    expect(eq(mapToObject(e.data_file.lower_bounds, hex), want.lower_bounds), `icebird: ${e.data_file.file_path} lower_bounds`);
    expect(typeof e.sequence_number === 'bigint', `icebird: ${e.data_file.file_path} sequence_number`);
  }
}
expect(eq([...ibFiles].sort(), expected.current_files.map((f) => f.file_path).sort()),
  `icebird: current files ${JSON.stringify(ibFiles)}`);

if (errors.length) {
  console.error(`iceberg_check: ${errors.length} of ${checks} checks failed:`);
  for (const e of errors.slice(0, 40)) console.error(`  - ${e}`);
  process.exit(1);
}
console.log(`iceberg_check: ${checks} checks passed (metadata v${hint}, ${listsRead + 1} manifest lists and ` +
  `${manifestsRead + 1} manifests decoded by avsc ${JSON.parse(readFileSync(new URL('./node_modules/avsc/package.json', import.meta.url))).version}, ` +
  `${ibFiles.length} data files listed by icebird)`);
