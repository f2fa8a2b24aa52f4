// Reads an Arrow IPC stream with apache-arrow JS and prints it as JSON for cli_test.cc:
//   node arrow_read.mjs <tests/interop dir (holds node_modules)> <stream file>
// Output: {"fields":[{"name","type","nullable"}], "batches":N, "rows":[{col: value}]}, where int64
// and timestamps are decimal strings, binary is hex, and null is null.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [interopDir, file] = process.argv.slice(2);
const require = createRequire(join(interopDir, 'package.json'));
const { RecordBatchReader } = require('apache-arrow');

const reader = RecordBatchReader.from(readFileSync(file));
let fields = null;
let batches = 0;
const rows = [];
const plain = (v) => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'object' && typeof v.toString === 'function' && !(v instanceof Array)) return v.toString();
  return v;
};
for (const batch of reader) {
  if (!fields) fields = batch.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
  batches++;
  for (let i = 0; i < batch.numRows; i++) {
    const row = {};
    for (const f of batch.schema.fields) row[f.name] = plain(batch.getChild(f.name).get(i));
    rows.push(row);
  }
}
if (!fields) fields = reader.schema ? reader.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })) : [];
console.log(JSON.stringify({ fields, batches, rows }));
