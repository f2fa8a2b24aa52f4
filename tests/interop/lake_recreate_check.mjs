// Checks that a lake table holds exactly the current table's rows after the table was dropped and
// created again under the same name (README.md, LakeRecreateInterop), with readers nobody here wrote:
//   1. the Iceberg metadata names the current Fluss table id (property fluss.table-id);
//   2. icebird's icebergRead over the current snapshot returns exactly the expected ids (a log table's
//      rows, or a primary-key table's keys after its equality deletes);
//   3. DuckDB read_parquet over exactly the data files the current snapshot's manifests list returns
//      only ids of the current generation — for a log table exactly the expected ones.
// Usage: node lake_recreate_check.mjs <expected.json>; exit 1 naming each difference.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { icebergManifests, icebergMetadata, icebergRead } from 'icebird';

const expectedPath = process.argv[2];
if (!expectedPath) throw new Error('usage: node lake_recreate_check.mjs <expected.json>');
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
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
const localPath = (uri) => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);
const sameSet = (got, want) => got.length === want.length && want.every((x, i) => x === got[i]);
const show = (ids) => ids.slice(0, 6).join(',') + (ids.length > 6 ? ',...' : '');

const duck = await (await DuckDBInstance.create(':memory:')).connect();
for (const t of expected.tables) {
  const name = `${t.kind} table of generation ${t.generation}`;
  const tableUrl = `file://${t.table_dir}`;
  const metadata = await icebergMetadata({ tableUrl });
  expect(metadata.properties?.['fluss.table-id'] === t.table_id,
    `${name}: fluss.table-id is ${metadata.properties?.['fluss.table-id']}, the table's id is ${t.table_id}`);
  const want = [...t.ids].sort();

  const rows = await icebergRead({ tableUrl, metadata });
  const got = rows.map((r) => String(r.id)).sort();
  expect(sameSet(got, want), `${name}: icebird read ids ${show(got)} (${got.length}), want ${show(want)} (${want.length})`);

  const files = [];
  for (const { entries } of await icebergManifests(metadata)) {
    for (const e of entries) {
      if (e.status !== 2 && e.data_file.content === 0) files.push(localPath(e.data_file.file_path));
    }
  }
  expect(files.length > 0, `${name}: the current snapshot lists no data file`);
  if (files.length > 0) {
    const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(',');
    const reader = await duck.runAndReadAll(`select id::varchar as id from read_parquet([${list}]) order by 1`);
    const ids = reader.getRowObjects().map((r) => String(r.id)).sort();
    const low = t.generation * 1000;
    const foreign = ids.filter((id) => Number(id) < low || Number(id) >= low + 1000);
    expect(foreign.length === 0, `${name}: DuckDB read rows of another generation: ${show(foreign)}`);
    if (t.kind === 'log') {
      expect(sameSet(ids, want), `${name}: DuckDB read ids ${show(ids)} (${ids.length}), want ${show(want)} (${want.length})`);
    }
  }
}

if (errors.length) {
  console.error(`lake_recreate_check: ${errors.length} of ${checks} checks failed:`);
  for (const e of errors.slice(0, 20)) console.error(`  - ${e}`);
  process.exit(1);
}
console.log(`lake_recreate_check: ${checks} checks passed`);
