// Writes Avro container files with avsc for fluss-cpp to read (README.md, IcebergInterop):
//   all_types_null.avro / all_types_deflate.avro  every Avro type, 300 records, small blocks;
//   manifest_avsc.avro                            an Iceberg v2 manifest written by avsc from the
//                                                 spec's manifest_entry schema (deflate).
// Next to each: <name>.expected.json, the records in a canonical JSON form (longs as decimal strings,
// bytes/fixed as hex, enums as symbols, maps as objects, unions as the branch value).
// Usage: node avro_write.mjs <dir>
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import avro from 'avsc';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node avro_write.mjs <dir>');
mkdirSync(dir, { recursive: true });

const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});
const typeOf = (schema) => avro.Type.forSchema(schema, { registry: { long: bigLong } });

function canonical(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonical(x)]));
  return v;
}

function write(name, schema, records, opts) {
  return new Promise((resolve, reject) => {
    // Given a Type, avsc writes the header schema from Type.getSchema(), which drops field-level
    // attributes such as field-id; given the JSON it writes it verbatim. So pass the JSON and swap in
    // the type with BigInt longs (BlockEncoder reads this._type at each write).
    const encoder = new avro.streams.BlockEncoder(schema, opts);
    encoder._type = typeOf(schema);
    const file = createWriteStream(`${dir}/${name}.avro`);
    encoder.pipe(file);
    encoder.on('error', reject);
    encoder.on('typeError', (err) => reject(err));
    file.on('error', reject);
    file.on('close', resolve);  // the file is complete once its stream closed
    for (const r of records) encoder.write(r);
    encoder.end();
    writeFileSync(`${dir}/${name}.expected.json`, JSON.stringify(records.map(canonical), null, 1));
  });
}

const ALL_TYPES = {
  type: 'record', name: 'all_types', namespace: 'fluss.interop',
  fields: [
    { name: 'n', type: 'null' },
    { name: 'b', type: 'boolean', 'field-id': 1 },
    { name: 'i', type: 'int', 'field-id': 2 },
    { name: 'l', type: 'long', 'field-id': 3 },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'by', type: 'bytes' },
    { name: 's', type: 'string' },
    { name: 'e', type: { type: 'enum', name: 'color', symbols: ['RED', 'GREEN', 'BLUE'] } },
    { name: 'fx', type: { type: 'fixed', name: 'md5ish', size: 4 } },
    { name: 'a', type: { type: 'array', items: 'int', 'element-id': 9 } },
    { name: 'm', type: { type: 'map', values: ['null', 'long'] } },
    { name: 'u', type: ['null', { type: 'record', name: 'inner', fields: [{ name: 'x', type: 'int' }, { name: 'fx2', type: 'md5ish' }] }], default: null },
    { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
  ],
};
const FLOATS = [0, 1.5, -0.25, 3.4028234663852886e38, 1e-40].map(Math.fround);  // as float32 stores them
const DOUBLES = [0, -2.5, 0.1, 1e300, -5e-324];
const LONGS = [0n, -1n, 9007199254740993n, -9223372036854775808n, 9223372036854775807n];
const records = [];
for (let k = 0; k < 300; k++) {
  records.push({
    n: null,
    b: k % 2 === 0,
    i: [0, -1, 2147483647, -2147483648, k * 1000][k % 5],
    l: LONGS[k % 5] + BigInt(k % 5 === 0 ? k : 0),
    f: FLOATS[k % 5],
    d: DOUBLES[k % 5],
    by: Buffer.from(Array.from({ length: k % 7 }, (_, j) => (j * 37 + k) & 0xff)),
    s: ['', 'é€😀', 'x'.repeat(k % 50), 'a\u0000b', `row-${k}`][k % 5],
    e: ['RED', 'GREEN', 'BLUE'][k % 3],
    fx: Buffer.from([k & 0xff, 1, 2, 3]),
    a: Array.from({ length: k % 4 }, (_, j) => j - k),
    m: k % 3 === 0 ? {} : { one: BigInt(k), none: null },
    u: k % 4 === 0 ? null : { x: k, fx2: Buffer.from([9, 9, 9, k & 0xff]) },
    dec: Buffer.from([0x30, 0x39]),
  });
}

// The Iceberg v2 manifest_entry schema, written here from the spec (not from fluss-cpp).
const opt = (name, type, id) => ({ name, type: ['null', type], default: null, 'field-id': id });
const kv = (keyId, valueId, valueType) => ({
  type: 'array', logicalType: 'map',
  items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [
    { name: 'key', type: 'int', 'field-id': keyId }, { name: 'value', type: valueType, 'field-id': valueId }] },
});
const MANIFEST_ENTRY = {
  type: 'record', name: 'manifest_entry', fields: [
    { name: 'status', type: 'int', 'field-id': 0 },
    opt('snapshot_id', 'long', 1),
    opt('sequence_number', 'long', 3),
    opt('file_sequence_number', 'long', 4),
    { name: 'data_file', 'field-id': 2, type: { type: 'record', name: 'r2', fields: [
      { name: 'content', type: 'int', 'field-id': 134 },
      { name: 'file_path', type: 'string', 'field-id': 100 },
      { name: 'file_format', type: 'string', 'field-id': 101 },
      { name: 'partition', type: { type: 'record', name: 'r102', fields: [] }, 'field-id': 102 },
      { name: 'record_count', type: 'long', 'field-id': 103 },
      { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
      opt('column_sizes', kv(117, 118, 'long'), 108),
      opt('value_counts', kv(119, 120, 'long'), 109),
      opt('null_value_counts', kv(121, 122, 'long'), 110),
      opt('nan_value_counts', kv(138, 139, 'long'), 137),
      opt('lower_bounds', kv(126, 127, 'bytes'), 125),
      opt('upper_bounds', kv(129, 130, 'bytes'), 128),
      opt('key_metadata', 'bytes', 131),
      opt('split_offsets', { type: 'array', items: 'long', 'element-id': 133 }, 132),
      opt('equality_ids', { type: 'array', items: 'int', 'element-id': 136 }, 135),
      opt('sort_order_id', 'int', 140),
    ] } },
  ],
};
const entries = [];
for (let k = 0; k < 20; k++) {
  entries.push({
    status: k % 3 === 2 ? 0 : 1,
    snapshot_id: 6000000000000000000n + BigInt(k),
    sequence_number: k % 2 === 0 ? BigInt(k + 1) : null,
    file_sequence_number: k % 2 === 0 ? BigInt(k + 1) : null,
    data_file: {
      content: 0,
      file_path: `s3://bucket/warehouse/db/t/data/${k}.parquet`,
      file_format: 'PARQUET',
      partition: {},
      record_count: BigInt(k * 100),
      file_size_in_bytes: BigInt(4096 + k),
      column_sizes: [{ key: 1, value: 10n }, { key: 2, value: BigInt(k) }],
      value_counts: k % 5 === 0 ? null : [{ key: 1, value: BigInt(k * 100) }],
      null_value_counts: [],
      nan_value_counts: null,
      lower_bounds: [{ key: 1, value: Buffer.from([k, 0, 0, 0]) }],
      upper_bounds: [{ key: 1, value: Buffer.from([k + 1, 0, 0, 0]) }, { key: 2, value: Buffer.from('zz') }],
      key_metadata: null,
      split_offsets: k % 2 ? [4n, 1000n] : null,
      equality_ids: null,
      sort_order_id: k % 4 === 0 ? 0 : null,
    },
  });
}
const manifestMeta = {
  schema: Buffer.from('{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"id","required":true,"type":"int"}]}'),
  'schema-id': Buffer.from('0'),
  'partition-spec': Buffer.from('[]'),
  'partition-spec-id': Buffer.from('0'),
  'format-version': Buffer.from('2'),
  content: Buffer.from('data'),
};

await write('all_types_null', ALL_TYPES, records, { codec: 'null', blockSize: 256 });
await write('all_types_deflate', ALL_TYPES, records, { codec: 'deflate', blockSize: 512 });
await write('manifest_avsc', MANIFEST_ENTRY, entries, { codec: 'deflate', blockSize: 300, metadata: manifestMeta });
console.log(`avsc ${JSON.parse((await import('node:fs')).readFileSync(new URL('./node_modules/avsc/package.json', import.meta.url))).version} wrote 3 container files to ${dir}`);
