// Writes Arrow streams with apache-arrow JS for fluss-cpp to read (`fluss_arrow_interop read`), each with
// its <name>.expected.json in the format of arrow_interop_writer.cc:
//   js_basic.arrows  uncompressed, three batches (edge values, generated rows, zero rows)
//   js_lz4.arrows    the same rows, LZ4_FRAME body compression (lz4js frames)
//   js_lz4_as_written.arrows  only while apache-arrow's writer has the length-prefix bug below: the
//                    LZ4 stream exactly as apache-arrow wrote it, which fluss-cpp must reject as corrupt
// "fluss_type" is the Fluss type fluss-cpp must map each Arrow type to (docs/formats/arrow.md §7).
//
// apache-arrow JS 21.2.0 writes the *compressed* length into the int64 prefix of each compressed body
// buffer, where the spec (Columnar format, "Compression") wants the uncompressed length; its own reader
// ignores the prefix, Arrow C++/PyArrow reject such streams (fixed upstream by apache/arrow-js#470).
// js_lz4.arrows therefore gets the prefixes rewritten to the true uncompressed lengths, the lz4js frames
// untouched; js_lz4_as_written.arrows keeps the original bytes.
// Fluss TIME keeps milliseconds, so Time(MICROSECOND/NANOSECOND) values here are whole milliseconds.
// Usage: node arrow_write.mjs <dir>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Binary, Bool, CompressionType, DateDay, Message, MessageHeader, Decimal, Field, FixedSizeBinary, Float32, Float64, Int16, Int32, Int64, Int8,
  RecordBatch, RecordBatchStreamWriter, Schema, Struct, TimeMicrosecond, TimeMillisecond, TimeNanosecond, TimeSecond,
  TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, Utf8, makeData, vectorFromArray,
} from 'apache-arrow';
import { codecs, registerCodecs } from './arrow_codecs.mjs';

registerCodecs();

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX38 = 10n ** 38n - 1n;
const bytes = (...b) => Uint8Array.from(b);
const longBytes = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function floatBits(width, v) {
  const dv = new DataView(new ArrayBuffer(width));
  if (width === 4) {
    dv.setFloat32(0, v, true);
    return dv.getUint32(0, true).toString(16).padStart(8, '0');
  }
  dv.setFloat64(0, v, true);
  return dv.getBigUint64(0, true).toString(16).padStart(16, '0');
}

// Each column: Arrow type, nullability, the Fluss type it must read as, how its values are stored
// ("fixed" typed array, "decimal", or "builder" = vectorFromArray), the expected-JSON form of a value,
// six edge values (null where nullable) and a generator for more rows.
const columns = [
  { name: 'i32', type: new Int32(), fluss: 'INT', store: Int32Array, expect: (v) => v,
    edge: [1, null, -2147483648, 2147483647, 0, -7], gen: (i) => i * 31 - 700 },
  { name: 'i32_nn', type: new Int32(), nullable: false, fluss: 'INT NOT NULL', store: Int32Array, expect: (v) => v,
    edge: [0, 1, -1, 2147483647, -2147483648, 42], gen: (i) => i },
  { name: 'i8', type: new Int8(), fluss: 'TINYINT', store: Int8Array, expect: (v) => v,
    edge: [0, null, -128, 127, 1, -1], gen: (i) => (i % 256) - 128 },
  { name: 'i16', type: new Int16(), fluss: 'SMALLINT', store: Int16Array, expect: (v) => v,
    edge: [0, null, -32768, 32767, 300, -300], gen: (i) => i * 100 - 2000 },
  { name: 'i64', type: new Int64(), fluss: 'BIGINT', store: BigInt64Array, expect: String,
    edge: [0n, null, INT64_MIN, INT64_MAX, 1234567890123456789n, -1n], gen: (i) => BigInt(i) * 1000000007n - 5000000000n },
  { name: 'f32', type: new Float32(), fluss: 'FLOAT', store: Float32Array, expect: (v) => floatBits(4, v),
    edge: [1.5, null, 3.4028234663852886e38, -0, NaN, Infinity], gen: (i) => i * 0.25 - 3 },
  { name: 'f64', type: new Float64(), fluss: 'DOUBLE', store: Float64Array, expect: (v) => floatBits(8, v),
    edge: [Math.PI, null, Number.MAX_VALUE, -0, Number.MIN_VALUE, -Infinity], gen: (i) => i / 3 },
  { name: 'b', type: new Bool(), fluss: 'BOOLEAN', store: 'builder', expect: (v) => v,
    edge: [true, null, false, true, false, true], gen: (i) => i % 3 === 0 },
  { name: 's', type: new Utf8(), fluss: 'STRING', store: 'builder', expect: (v) => v,
    edge: ['hello', null, '', 'héllo wörld ✓ 日本語 🎉', 'x'.repeat(5000), 'a\u0000b'], gen: (i) => `row-${i % 13}-välue` },
  { name: 'bin', type: new Binary(), fluss: 'BYTES', store: 'builder', expect: hex,
    edge: [bytes(1, 2, 3), null, bytes(), bytes(0xff, 0, 0x80), longBytes, bytes(0)], gen: (i) => bytes(...Array(i % 4).fill(i & 0xff)) },
  { name: 'fsb', type: new FixedSizeBinary(3), fluss: 'BINARY(3)', store: 'builder', expect: hex,
    edge: [bytes(1, 2, 3), null, bytes(0, 0, 0), bytes(255, 255, 255), bytes(0x80, 0x7f, 0), bytes(9, 8, 7)],
    gen: (i) => bytes(i & 0xff, 0xab, 0xcd) },
  { name: 'd', type: new DateDay(), fluss: 'DATE', store: Int32Array, expect: (v) => v,
    edge: [0, null, -719162, 2932896, 19675, -1], gen: (i) => 19000 + i },
  { name: 't_s', type: new TimeSecond(), fluss: 'TIME(0)', store: Int32Array, expect: String,
    edge: [0, null, 86399, 45296, 1, 43200], gen: (i) => i * 1001 },
  { name: 't_ms', type: new TimeMillisecond(), fluss: 'TIME(3)', store: Int32Array, expect: String,
    edge: [0, null, 86399999, 45296789, 1, 999], gen: (i) => i * 1000003 },
  { name: 't_us', type: new TimeMicrosecond(), fluss: 'TIME(6)', store: BigInt64Array, expect: String,
    edge: [0n, null, 86399999000n, 45296789000n, 1000n, 999000n], gen: (i) => BigInt(i * 1000003) * 1000n },
  { name: 't_ns', type: new TimeNanosecond(), fluss: 'TIME(9)', store: BigInt64Array, expect: String,
    edge: [0n, null, 86399999000000n, 45296789000000n, 1000000n, 999000000n], gen: (i) => BigInt(i * 1000003) * 1000000n },
  { name: 'ts_s', type: new TimestampSecond(), fluss: 'TIMESTAMP(0)', store: BigInt64Array, expect: String,
    edge: [0n, null, -62135596800n, 253402300799n, 1700000000n, -1n], gen: (i) => 1700000000n + BigInt(i) * 61n },
  { name: 'ts_ms', type: new TimestampMillisecond(), fluss: 'TIMESTAMP(3)', store: BigInt64Array, expect: String,
    edge: [0n, null, -62135596800000n, 253402300799999n, 1700000000123n, -1n], gen: (i) => 1700000000123n + BigInt(i) * 1001n },
  { name: 'ts_us', type: new TimestampMicrosecond(), fluss: 'TIMESTAMP(6)', store: BigInt64Array, expect: String,
    edge: [0n, null, -62135596800000000n, 253402300799999999n, 1700000000123456n, -1n],
    gen: (i) => 1700000000123456n - BigInt(i) * 1000001n },
  { name: 'ts_ns', type: new TimestampNanosecond(), fluss: 'TIMESTAMP(9)', store: BigInt64Array, expect: String,
    edge: [0n, null, INT64_MIN, INT64_MAX, 1700000000123456789n, -1n], gen: (i) => 1700000000123456789n + BigInt(i) * 999999937n },
  { name: 'ts_ltz_ms', type: new TimestampMillisecond('UTC'), fluss: 'TIMESTAMP_LTZ(3)', store: BigInt64Array, expect: String,
    edge: [0n, null, -62135596800000n, 253402300799999n, 1700000000123n, -1n], gen: (i) => 1600000000000n + BigInt(i) },
  { name: 'ts_ltz_ns', type: new TimestampNanosecond('+01:00'), fluss: 'TIMESTAMP_LTZ(9)', store: BigInt64Array, expect: String,
    edge: [0n, null, INT64_MIN, INT64_MAX, -1n, 1n], gen: (i) => -BigInt(i) * 123456789n },
  { name: 'dec', type: new Decimal(3, 12, 128), fluss: 'DECIMAL(12, 3)', store: 'decimal', expect: String,
    edge: [12345n, null, 999999999999n, -999999999999n, 0n, -1n], gen: (i) => BigInt(i) * 7919n - 100000n },
  { name: 'dec38', type: new Decimal(6, 38, 128), fluss: 'DECIMAL(38, 6)', store: 'decimal', expect: String,
    edge: [MAX38, null, -MAX38, 2n ** 64n, -(2n ** 64n), 1n], gen: (i) => (BigInt(i) - 25n) * 10n ** 30n + BigInt(i) },
];

const nullableOf = (col) => col.nullable !== false;

function validity(values) {
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => { if (v !== null) bitmap[i >> 3] |= 1 << (i & 7); });
  return bitmap;
}

// The Arrow Data of one column, built directly from typed arrays where exactness matters.
function columnData(col, values) {
  const nullCount = values.filter((v) => v === null).length;
  const nullBitmap = nullCount > 0 ? validity(values) : new Uint8Array(0);
  if (col.store === 'builder') return vectorFromArray(values, col.type).data[0];
  if (col.store === 'decimal') {
    const words = new Uint32Array(values.length * 4);
    const dv = new DataView(words.buffer);
    values.forEach((v, i) => {
      if (v === null) return;
      dv.setBigUint64(i * 16, BigInt.asUintN(64, v), true);
      dv.setBigInt64(i * 16 + 8, BigInt.asIntN(64, v >> 64n), true);
    });
    return makeData({ type: col.type, length: values.length, nullCount, nullBitmap, data: words });
  }
  const zero = col.store === BigInt64Array ? 0n : 0;
  const data = col.store.from(values, (v) => (v === null ? zero : v));
  return makeData({ type: col.type, length: values.length, nullCount, nullBitmap, data });
}

const schema = new Schema(columns.map((col) => new Field(col.name, col.type, nullableOf(col))));

function makeBatch(rows) {
  const children = columns.map((col, j) => columnData(col, rows.map((r) => r[j])));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }));
}

const edgeRows = [0, 1, 2, 3, 4, 5].map((i) => columns.map((col) => col.edge[i]));
const generatedRows = Array.from({ length: 50 }, (_, i) =>
  columns.map((col, j) => (nullableOf(col) && (i + j) % 5 === 0 ? null : col.gen(i))));
const batchRows = [edgeRows, generatedRows, []];

function expectedJson(file, compression) {
  return {
    file,
    description: 'written by apache-arrow JS 21.2.0 (arrow_write.mjs): edge values, 50 generated rows, a zero-row batch',
    writer: 'apache-arrow-js',
    compression,
    fields: columns.map((col) => ({
      name: col.name,
      fluss_type: col.fluss,
      nullable: nullableOf(col),
      arrow: describe(col.type),
    })),
    batches: batchRows.map((rows) => ({
      num_rows: rows.length,
      rows: rows.map((r) => r.map((v, j) => (v === null ? null : columns[j].expect(v)))),
    })),
  };
}

// Must agree with describeType() in arrow_check.mjs; kept literal here so the two check each other.
function describe(type) {
  const name = type.constructor.name;
  if (type instanceof Int8 || type instanceof Int16 || type instanceof Int32 || type instanceof Int64) {
    return { id: 'Int', bitWidth: type.bitWidth, isSigned: true };
  }
  if (type instanceof Float32) return { id: 'Float', precision: 'SINGLE' };
  if (type instanceof Float64) return { id: 'Float', precision: 'DOUBLE' };
  if (type instanceof Decimal) return { id: 'Decimal', precision: type.precision, scale: type.scale, bitWidth: 128 };
  if (type instanceof FixedSizeBinary) return { id: 'FixedSizeBinary', byteWidth: type.byteWidth };
  if (type instanceof DateDay) return { id: 'Date', unit: 'DAY' };
  const units = ['SECOND', 'MILLISECOND', 'MICROSECOND', 'NANOSECOND'];
  if (name.startsWith('Time') && !name.startsWith('Timestamp')) {
    return { id: 'Time', unit: units[type.unit], bitWidth: type.bitWidth };
  }
  if (name.startsWith('Timestamp')) return { id: 'Timestamp', unit: units[type.unit], timezone: type.timezone ?? null };
  return { id: { Bool: 'Bool', Utf8: 'Utf8', Binary: 'Binary' }[name] ?? name };
}

// Returns a copy of `stream` whose compressed buffers carry their true uncompressed length in the
// int64 prefix, and how many prefixes had to change.
function fixLengthPrefixes(stream) {
  const out = stream.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let fixed = 0;
  let pos = 0;
  while (pos + 8 <= out.length && view.getInt32(pos + 4, true) > 0) {
    const metaLen = view.getInt32(pos + 4, true);
    const message = Message.decode(out.subarray(pos + 8, pos + 8 + metaLen));
    const body = pos + 8 + metaLen;
    const header = message.headerType === MessageHeader.RecordBatch ? message.header() : null;
    if (header && header.compression) {
      for (const { offset, length } of header.buffers) {
        if (length < 8) continue;
        const at = body + offset;
        const prefix = view.getBigInt64(at, true);
        if (prefix === -1n) continue;
        const inflated = codecs[header.compression.type].decode(out.subarray(at + 8, at + length));
        if (BigInt(inflated.length) !== prefix) {
          view.setBigInt64(at, BigInt(inflated.length), true);
          ++fixed;
        }
      }
    }
    pos = body + Number(message.bodyLength);
  }
  return { bytes: out, fixed };
}

function save(dir, name, bytes, expected) {
  writeFileSync(join(dir, `${name}.arrows`), bytes);
  writeFileSync(join(dir, `${name}.expected.json`), `${JSON.stringify({ ...expected, file: `${name}.arrows` }, null, 1)}\n`);
  console.log(`wrote ${name}.arrows: ${bytes.length} bytes, ${batchRows.length} batches, ${columns.length} columns`);
}

function writeStream(dir, name, compression) {
  const options = compression === 'NONE' ? {} : { compressionType: CompressionType[compression] };
  const writer = new RecordBatchStreamWriter(options);
  for (const rows of batchRows) writer.write(makeBatch(rows));
  writer.finish();
  const bytes = writer.toUint8Array(true);
  const expected = expectedJson(`${name}.arrows`, compression);
  if (compression === 'NONE') {
    save(dir, name, bytes, expected);
    return;
  }
  const { bytes: fixedBytes, fixed } = fixLengthPrefixes(bytes);
  save(dir, name, fixedBytes, fixed === 0 ? expected
    : { ...expected, description: `${expected.description}; ${fixed} buffer length prefixes corrected (apache/arrow-js#470)` });
  if (fixed > 0) {
    save(dir, `${name}_as_written`, bytes, {
      ...expected,
      description: `as written by apache-arrow JS: ${fixed} compressed buffers carry their compressed length in the ` +
        'uncompressed-length prefix (apache/arrow-js#470); a conforming reader rejects the stream',
      expect_error: 'CORRUPT_RECORD',
    });
  }
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node arrow_write.mjs <dir>');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
writeStream(dir, 'js_basic', 'NONE');
writeStream(dir, 'js_lz4', 'LZ4_FRAME');
