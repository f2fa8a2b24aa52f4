// Checks a tiered primary-key table with icebird (README.md, IcebergPkInterop): icebergRead reads
// the table through its metadata, manifest lists, data and delete manifests, applies the equality
// deletes by the sequence-number rule and must return exactly the rows the table's lookups returned
// (pk_expected.json) — no deleted key, no stale version of an updated key, no key twice.
// Usage: node iceberg_pk_check.mjs <dir written by fluss_iceberg_pk_interop write> [expected.json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { icebergManifests, icebergMetadata, icebergRead } from 'icebird';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node iceberg_pk_check.mjs <dir> [expected.json]');
const expected = JSON.parse(readFileSync(process.argv[3] ?? `${dir}/pk_expected.json`, 'utf8'));
const errors = [];
let checks = 0;
function expect(cond, message) {
  checks++;
  if (!cond) errors.push(message);
  return cond;
}

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

const tableUrl = `file://${expected.table_dir}`;
const metadata = await icebergMetadata({ tableUrl });
const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
const idField = schema.fields.find((f) => f.name === 'id');
expect(JSON.stringify(schema['identifier-field-ids']) === JSON.stringify([idField.id]),
  `identifier-field-ids ${JSON.stringify(schema['identifier-field-ids'])}`);

// The delete files as icebird lists them: equality deletes on the key, in "deletes" manifests.
let deleteFiles = 0;
for (const { entries } of await icebergManifests(metadata)) {
  for (const e of entries) {
    if (e.data_file.content === 0) continue;
    deleteFiles++;
    expect(e.data_file.content === 2, `${e.data_file.file_path}: content ${e.data_file.content}`);
    expect(JSON.stringify(e.data_file.equality_ids) === JSON.stringify([idField.id]),
      `${e.data_file.file_path}: equality_ids ${JSON.stringify(e.data_file.equality_ids)}`);
  }
}
expect(deleteFiles === expected.delete_files && deleteFiles > 0, `delete files: ${deleteFiles}`);

const rows = await icebergRead({ tableUrl, metadata });
const key = (r) => JSON.stringify([String(r.id), r.name ?? null, r.qty ?? null]);
const got = rows.map(key).sort();
const want = expected.rows.map(key).sort();
expect(rows.length < expected.raw_data_rows, `the deletes removed nothing: ${rows.length} of ${expected.raw_data_rows} rows`);
expect(new Set(rows.map((r) => String(r.id))).size === rows.length, 'a key comes twice');
expect(got.length === want.length, `icebird read ${got.length} rows, the lookups ${want.length}`);
const gotSet = new Set(got);
const wantSet = new Set(want);
const missing = want.filter((r) => !gotSet.has(r));
const extra = got.filter((r) => !wantSet.has(r));
expect(missing.length === 0, `missing rows: ${missing.slice(0, 5).join(' ')}`);
expect(extra.length === 0, `rows the table does not have: ${extra.slice(0, 5).join(' ')}`);

if (errors.length) {
  console.error(`iceberg_pk_check: ${errors.length} of ${checks} checks failed:`);
  for (const e of errors.slice(0, 20)) console.error(`  - ${e}`);
  process.exit(1);
}
console.log(`iceberg_pk_check: ${checks} checks passed (icebird ${JSON.parse(readFileSync(new URL('./node_modules/icebird/package.json', import.meta.url))).version}: ` +
  `${rows.length} rows = the lookups, from ${expected.raw_data_rows} data rows and ${deleteFiles} equality-delete files)`);
