// Checks every <name>.arrows in a directory against <name>.expected.json with apache-arrow JS:
//   1. the stream framing and message metadata, walked here with apache-arrow's flatbuffer decoder
//      (continuation markers, 8-byte alignment, V5, buffer ranges, node and buffer counts, BodyCompression
//      and every compressed buffer's uncompressed-length prefix, which apache-arrow's reader ignores);
//   2. the Arrow schema apache-arrow reads (type ids and parameters, nullability, fluss.* metadata);
//   3. every value of every batch read by RecordBatchReader, and the row count tableFromIPC reads.
// Expected JSON format and value forms: arrow_interop_writer.cc. Usage: node arrow_check.mjs <dir>
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompressionType, DateUnit, Message, MessageHeader, MetadataVersion, Precision, RecordBatchReader, TimeUnit, Type,
  tableFromIPC,
} from 'apache-arrow';
import { codecs, registerCodecs } from './arrow_codecs.mjs';

registerCodecs();

const MAX_ERRORS = 30;

class Checker {
  constructor(file) {
    this.file = file;
    this.errors = [];
    this.values = 0;
    this.compressed = 0;  // buffers stored as a codec frame
    this.raw = 0;         // buffers stored as -1 + raw bytes in a compressed batch
  }
  fail(message) {
    if (this.errors.length < MAX_ERRORS) this.errors.push(message);
    else if (this.errors.length === MAX_ERRORS) this.errors.push('... (more errors not shown)');
  }
  expect(cond, message) {
    if (!cond) this.fail(message);
    return cond;
  }
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const show = (v) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));

// Number of body buffers of a (flat) field of this type.
function bufferCount(type) {
  switch (Type[type.typeId]) {
    case 'Utf8': case 'Binary': return 3;
    default: return 2;
  }
}

// The type in the vocabulary of the expected JSON's "arrow" object.
function describeType(type) {
  const id = Type[type.typeId];
  const d = { id };
  switch (id) {
    case 'Int': d.bitWidth = type.bitWidth; d.isSigned = type.isSigned; break;
    case 'Float': d.precision = Precision[type.precision]; break;
    case 'Decimal': d.precision = type.precision; d.scale = type.scale; d.bitWidth = type.bitWidth; break;
    case 'FixedSizeBinary': d.byteWidth = type.byteWidth; break;
    case 'Date': d.unit = DateUnit[type.unit]; break;
    case 'Time': d.unit = TimeUnit[type.unit]; d.bitWidth = type.bitWidth; break;
    case 'Timestamp': d.unit = TimeUnit[type.unit]; d.timezone = type.timezone ?? null; break;
    default: break;
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------
// 1. Framing and metadata, per the Arrow IPC spec (Encapsulated message format, Body compression).

function checkFraming(c, bytes, expected) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wantCodec = expected.compression === 'NONE' ? null : CompressionType[expected.compression];
  let pos = 0;
  let schema = null;
  let batchIndex = 0;
  let sawEnd = false;
  while (pos < bytes.length) {
    if (!c.expect(pos + 8 <= bytes.length, `byte ${pos}: truncated message prefix`)) return;
    const marker = view.getUint32(pos, true);
    const metaLen = view.getInt32(pos + 4, true);
    if (!c.expect(marker === 0xFFFFFFFF, `byte ${pos}: continuation marker is 0x${marker.toString(16)}, not 0xffffffff`)) return;
    if (metaLen === 0) {
      sawEnd = true;
      c.expect(pos + 8 === bytes.length, `byte ${pos}: ${bytes.length - pos - 8} bytes after the end-of-stream marker`);
      break;
    }
    c.expect(metaLen > 0 && (pos + 8 + metaLen) % 8 === 0,
      `byte ${pos}: metadata length ${metaLen} does not end the metadata on an 8-byte boundary`);
    const message = Message.decode(bytes.subarray(pos + 8, pos + 8 + metaLen));
    const bodyStart = pos + 8 + metaLen;
    const bodyLength = Number(message.bodyLength);
    const where = `message at byte ${pos} (${MessageHeader[message.headerType]})`;
    c.expect(message.version === MetadataVersion.V5, `${where}: metadata version ${message.version}, expected V5 (4)`);
    c.expect(bodyLength % 8 === 0, `${where}: bodyLength ${bodyLength} is not a multiple of 8`);
    c.expect(bodyStart + bodyLength <= bytes.length, `${where}: body runs past the end of the stream`);
    if (schema === null) {
      c.expect(message.headerType === MessageHeader.Schema, `${where}: the first message is not a Schema`);
      c.expect(bodyLength === 0, `${where}: a Schema message has body length ${bodyLength}`);
      schema = message.header();
    } else if (c.expect(message.headerType === MessageHeader.RecordBatch, `${where}: expected a RecordBatch`)) {
      checkRecordBatchMetadata(c, `${where} (batch ${batchIndex})`, message.header(), schema,
        bytes.subarray(bodyStart, bodyStart + bodyLength), bodyLength, wantCodec, expected.batches[batchIndex]);
      ++batchIndex;
    }
    pos = bodyStart + bodyLength;
  }
  c.expect(sawEnd, 'stream has no end-of-stream marker (0xFFFFFFFF 0x00000000)');
  c.expect(batchIndex === expected.batches.length,
    `stream has ${batchIndex} RecordBatch messages, expected ${expected.batches.length}`);
}

function checkRecordBatchMetadata(c, where, rb, schema, body, bodyLength, wantCodec, want) {
  if (want === undefined) return;  // counted by the caller
  c.expect(rb.length === want.num_rows, `${where}: length ${rb.length}, expected ${want.num_rows}`);
  const fields = schema.fields;
  c.expect(rb.nodes.length === fields.length, `${where}: ${rb.nodes.length} field nodes for ${fields.length} fields`);
  const wantBuffers = fields.reduce((n, f) => n + bufferCount(f.type), 0);
  c.expect(rb.buffers.length === wantBuffers, `${where}: ${rb.buffers.length} buffers, expected ${wantBuffers}`);
  fields.forEach((f, j) => {
    const node = rb.nodes[j];
    if (!node) return;
    const nulls = want.rows.reduce((n, row) => n + (row[j] === null ? 1 : 0), 0);
    c.expect(node.length === want.num_rows, `${where}: field '${f.name}' node length ${node.length}`);
    c.expect(node.nullCount === nulls, `${where}: field '${f.name}' null_count ${node.nullCount}, expected ${nulls}`);
  });
  rb.buffers.forEach((b, k) => {
    c.expect(b.length === 0 || b.offset % 8 === 0, `${where}: buffer ${k} offset ${b.offset} is not 8-byte aligned`);
    c.expect(b.offset >= 0 && b.length >= 0 && b.offset + b.length <= bodyLength,
      `${where}: buffer ${k} [${b.offset}, +${b.length}) is outside the body of ${bodyLength} bytes`);
  });
  const codec = rb.compression ? rb.compression.type : null;
  if (!c.expect(codec === wantCodec,
    `${where}: BodyCompression codec ${codec === null ? 'none' : CompressionType[codec]}, expected ${wantCodec === null ? 'none' : CompressionType[wantCodec]}`)) return;
  if (codec === null) return;
  c.expect(rb.compression.method === 0, `${where}: BodyCompression method ${rb.compression.method}, expected BUFFER (0)`);
  // Each non-empty buffer: int64 LE uncompressed length, then one frame of exactly that many bytes
  // (or -1 and the raw bytes).
  const magic = codec === CompressionType.LZ4_FRAME ? '04224d18' : '28b52ffd';
  rb.buffers.forEach((b, k) => {
    if (b.length === 0 || b.offset + b.length > body.length) return;
    if (!c.expect(b.length >= 8, `${where}: compressed buffer ${k} has ${b.length} bytes, less than its 8-byte prefix`)) return;
    const buf = body.subarray(b.offset, b.offset + b.length);
    const prefix = new DataView(buf.buffer, buf.byteOffset, 8).getBigInt64(0, true);
    const payload = buf.subarray(8);
    if (prefix === -1n) {
      ++c.raw;
      return;
    }
    ++c.compressed;
    if (!c.expect(hex(payload.subarray(0, 4)) === magic, `${where}: buffer ${k} does not start with the ${CompressionType[codec]} frame magic`)) return;
    let inflated;
    try {
      inflated = codecs[codec].decode(payload);
    } catch (e) {
      c.fail(`${where}: buffer ${k} does not decompress: ${e.message}`);
      return;
    }
    c.expect(BigInt(inflated.length) === prefix,
      `${where}: buffer ${k} inflates to ${inflated.length} bytes but its prefix says ${prefix}`);
  });
}

// ---------------------------------------------------------------------------------------------------
// 2. Schema, 3. values.

function checkSchema(c, schema, expected) {
  const fields = schema.fields;
  c.expect(fields.length === expected.fields.length, `schema has ${fields.length} fields, expected ${expected.fields.length}`);
  expected.fields.forEach((want, j) => {
    const f = fields[j];
    if (!f) return;
    c.expect(f.name === want.name, `field ${j} is named '${f.name}', expected '${want.name}'`);
    c.expect(f.nullable === want.nullable, `field '${want.name}': nullable ${f.nullable}, expected ${want.nullable}`);
    const got = describeType(f.type);
    for (const [key, value] of Object.entries(want.arrow)) {
      c.expect(got[key] === value, `field '${want.name}' (${f.type}): type ${key} is ${show(got[key])}, expected ${show(value)}`);
    }
    if (want.column_id !== undefined) {
      c.expect(f.metadata.get('fluss.column_id') === String(want.column_id),
        `field '${want.name}': metadata fluss.column_id ${show(f.metadata.get('fluss.column_id'))}, expected "${want.column_id}"`);
    }
    if (want.fluss_data_type !== undefined) {
      const raw = f.metadata.get('fluss.data_type');
      let parsed = null;
      try { parsed = JSON.parse(raw); } catch { /* reported below */ }
      c.expect(parsed !== null && JSON.stringify(parsed) === JSON.stringify(want.fluss_data_type),
        `field '${want.name}': metadata fluss.data_type ${show(raw)}, expected ${JSON.stringify(want.fluss_data_type)}`);
    }
  });
}

// The value of row i of `vector` in the expected JSON's form, read from the Arrow buffers apache-arrow
// loaded (exact for int64, decimals and float bit patterns), cross-checked against vector.get(i).
function actualValue(c, where, vector, i) {
  const valid = vector.isValid(i);
  const got = vector.get(i);
  if (!valid) {
    c.expect(got === null, `${where}: invalid slot but get() returned ${show(got)}`);
    return null;
  }
  const data = vector.data[0];
  const type = vector.type;
  const values = data.values;
  switch (Type[type.typeId]) {
    case 'Bool': return got;
    case 'Int': return type.bitWidth === 64 ? String(got) : got;
    case 'Float': {
      const width = type.precision === Precision.SINGLE ? 4 : 8;
      const dv = new DataView(values.buffer, values.byteOffset + i * width, width);
      const bits = width === 4 ? dv.getUint32(0, true).toString(16).padStart(8, '0')
        : dv.getBigUint64(0, true).toString(16).padStart(16, '0');
      c.expect(Object.is(got, values[i]), `${where}: get() ${got} differs from the stored ${values[i]}`);
      return bits;
    }
    case 'Decimal': {
      const dv = new DataView(values.buffer, values.byteOffset + i * 16, 16);
      const v = (dv.getBigInt64(8, true) << 64n) | dv.getBigUint64(0, true);
      c.expect(String(got) === String(v), `${where}: get() renders ${String(got)}, the stored value is ${v}`);
      return String(v);
    }
    case 'Utf8': return got;
    case 'Binary':
    case 'FixedSizeBinary': return hex(got);
    case 'Date': {
      c.expect(got === values[i] * 86400000, `${where}: get() ${got} is not ${values[i]} days in ms`);
      return values[i];
    }
    case 'Time': return String(values[i]);
    case 'Timestamp': {
      const raw = values[i];
      if (type.unit === TimeUnit.SECOND || type.unit === TimeUnit.MILLISECOND) {
        const ms = Number(raw) * (type.unit === TimeUnit.SECOND ? 1000 : 1);
        c.expect(got === ms, `${where}: get() ${got}, expected ${ms} ms`);
      }
      return String(raw);
    }
    default:
      c.fail(`${where}: unexpected Arrow type ${type}`);
      return undefined;
  }
}

function checkValues(c, bytes, expected) {
  const reader = RecordBatchReader.from(bytes).open();
  checkSchema(c, reader.schema, expected);
  const batches = [...reader];
  c.expect(batches.length === expected.batches.length,
    `RecordBatchReader read ${batches.length} batches, expected ${expected.batches.length}`);
  batches.forEach((batch, b) => {
    const want = expected.batches[b];
    if (!want) return;
    if (!c.expect(batch.numRows === want.num_rows, `batch ${b}: ${batch.numRows} rows, expected ${want.num_rows}`)) return;
    expected.fields.forEach((field, j) => {
      const vector = batch.getChildAt(j);
      if (!c.expect(vector !== null, `batch ${b}: no column ${j}`)) return;
      for (let i = 0; i < want.num_rows; ++i) {
        const where = `batch ${b} row ${i} column '${field.name}' (${field.fluss_type})`;
        const got = actualValue(c, where, vector, i);
        const wantValue = want.rows[i][j];
        c.expect(got === wantValue, `${where}: expected ${show(wantValue)}, got ${show(got)}`);
        ++c.values;
      }
    });
  });
  const table = tableFromIPC(bytes);
  const rows = expected.batches.reduce((n, b) => n + b.num_rows, 0);
  c.expect(table.numRows === rows, `tableFromIPC read ${table.numRows} rows, expected ${rows}`);
  c.expect(table.numCols === expected.fields.length, `tableFromIPC read ${table.numCols} columns`);
}

function checkFile(dir, name) {
  const c = new Checker(name);
  const bytes = new Uint8Array(readFileSync(join(dir, name)));
  const expected = JSON.parse(readFileSync(join(dir, name.replace(/\.arrows$/, '.expected.json')), 'utf8'));
  try {
    checkFraming(c, bytes, expected);
  } catch (e) {
    c.fail(`framing check threw: ${e.stack}`);
  }
  try {
    checkValues(c, bytes, expected);
  } catch (e) {
    c.fail(`apache-arrow threw: ${e.stack}`);
  }
  return c;
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node arrow_check.mjs <dir>');
  process.exit(2);
}
const files = readdirSync(dir).filter((f) => f.endsWith('.arrows')).sort();
if (files.length === 0) {
  console.error(`arrow_check: no .arrows files in ${dir}`);
  process.exit(1);
}
let failed = 0;
let skipped = 0;
for (const name of files) {
  const expectError = JSON.parse(readFileSync(join(dir, name.replace(/\.arrows$/, '.expected.json')), 'utf8')).expect_error;
  if (expectError !== undefined) {
    console.log(`skip ${name}: a stream a conforming reader must reject (${expectError})`);
    ++skipped;
    continue;
  }
  const c = checkFile(dir, name);
  if (c.errors.length === 0) {
    const buffers = c.compressed + c.raw > 0 ? `; ${c.compressed} buffers compressed, ${c.raw} stored raw` : '';
    console.log(`ok   ${name}: ${c.values} values match${buffers}`);
  } else {
    ++failed;
    console.log(`FAIL ${name}:`);
    for (const e of c.errors) console.log(`  ${e}`);
  }
}
const checked = files.length - skipped;
console.log(`arrow_check: ${checked - failed}/${checked} streams read correctly by apache-arrow`);
process.exit(failed === 0 ? 0 : 1);
