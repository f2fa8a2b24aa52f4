// Checks a partitioned table tiered by fluss-cpp (README.md, PartitionedLakeInterop) with readers
// nobody here wrote, against the scan of each partition from the Fluss log (expected.json):
//   1. the Iceberg metadata: partition spec = identity on dt and region (field ids 1000, 1001), and
//      the table was tiered in several snapshots;
//   2. icebird: every current manifest entry's partition tuple (dt as days, region) is the one of
//      the directory the file sits in; icebergRead through the metadata returns, per partition,
//      exactly the partition's rows;
//   3. DuckDB read_parquet with a partition filter — over the partition's directory, and over all
//      files with hive partitioning and a WHERE on dt and region — returns exactly its rows;
//   4. the primary-key table partitioned by dt (a STRING: icebird matches equality deletes with ===,
//      never true for the Date objects it decodes dates into): icebird (equality deletes applied, each delete file
//      in its partition's directory with its tuple) returns exactly the lookups of every key.
// Usage: node partitioned_lake_check.mjs <expected.json>; exit 1 naming each difference.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { icebergManifests, icebergMetadata, icebergRead } from 'icebird';

const expectedPath = process.argv[2];
if (!expectedPath) throw new Error('usage: node partitioned_lake_check.mjs <expected.json>');
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
const rowKey = (id, v) => `${id}:${Number(v)}`;
const sorted = (a) => [...a].sort();
const sameList = (got, want) => got.length === want.length && want.every((x, i) => x === got[i]);
const show = (xs) => xs.slice(0, 4).join(',') + (xs.length > 4 ? ',...' : '');
const daysOf = (date) => Math.round(Date.parse(`${date}T00:00:00Z`) / 86400000);

const tableUrl = `file://${expected.table_dir}`;
const metadata = await icebergMetadata({ tableUrl });

// 1. The spec and the rounds.
const spec = metadata['partition-specs'].find((s) => s['spec-id'] === metadata['default-spec-id']);
expect(JSON.stringify(spec?.fields?.map((f) => [f.name, f.transform, f['field-id']])) ===
  JSON.stringify([['dt', 'identity', 1000], ['region', 'identity', 1001]]),
  `partition spec is ${JSON.stringify(spec)}, want identity on dt (1000) and region (1001)`);
expect(metadata['last-partition-id'] === 1001, `last-partition-id ${metadata['last-partition-id']}`);
expect(expected.snapshots >= 3, `tiered in ${expected.snapshots} snapshots, want several rounds`);

// 2. icebird: the manifests' partition tuples, then the rows through the metadata.
let entries = 0;
for (const { entries: list } of await icebergManifests(metadata)) {
  for (const e of list) {
    if (e.status === 2) continue;
    entries++;
    const path = e.data_file.file_path;
    const m = /\/data\/dt=([0-9-]+)\/region=([A-Za-z0-9_-]+)\/[^/]+$/.exec(path);
    if (!expect(m !== null, `data file ${path} is not in a dt=/region= directory`)) continue;
    // icebird decodes the struct by field name, and the date (Avro logicalType date) as a Date.
    const p = e.data_file.partition;
    const dt = p.dt ?? p[1000];
    const days = dt instanceof Date ? Math.round(dt.getTime() / 86400000) : Number(dt);
    expect(days === daysOf(m[1]) && (p.region ?? p[1001]) === m[2],
      `data file ${path}: partition tuple ${JSON.stringify(p, (k, v) => (typeof v === 'bigint' ? String(v) : v))}, ` +
      `want dt=${daysOf(m[1])} region=${m[2]}`);
  }
}
expect(entries >= expected.partitions.length, `${entries} manifest entries for ${expected.partitions.length} partitions`);

const icebirdRows = await icebergRead({ tableUrl, metadata });
const byPartition = new Map();
for (const r of icebirdRows) {
  const dt = r.dt instanceof Date ? r.dt.toISOString().slice(0, 10) : String(r.dt);
  const key = `${dt}/${r.region}`;
  if (!byPartition.has(key)) byPartition.set(key, []);
  byPartition.get(key).push(rowKey(r.id, r.v));
}
let total = 0;
for (const p of expected.partitions) {
  const want = sorted(p.rows.map((r) => rowKey(r.id, r.v)));
  total += want.length;
  const got = sorted(byPartition.get(`${p.dt}/${p.region}`) ?? []);
  expect(sameList(got, want), `icebird, partition dt=${p.dt}/region=${p.region}: ${got.length} rows (${show(got)}), ` +
    `the scan has ${want.length} (${show(want)})`);
}
expect(icebirdRows.length === total, `icebird read ${icebirdRows.length} rows, the partitions hold ${total}`);

// 3. DuckDB with a partition filter.
const duck = await (await DuckDBInstance.create(':memory:')).connect();
const dataDir = `${expected.table_dir}/data`.replaceAll("'", "''");
for (const p of expected.partitions) {
  const want = sorted(p.rows.map((r) => rowKey(r.id, r.v)));
  const glob = `${dataDir}/dt=${p.dt}/region=${p.region}/*.parquet`;
  const one = await duck.runAndReadAll(`select id::varchar as id, v from read_parquet('${glob}')`);
  const got1 = sorted(one.getRowObjects().map((r) => rowKey(r.id, r.v)));
  expect(sameList(got1, want), `DuckDB over ${glob}: ${got1.length} rows, the scan has ${want.length}`);
  const hive = await duck.runAndReadAll(
    `select id::varchar as id, v from read_parquet('${dataDir}/*/*/*.parquet', hive_partitioning = true) ` +
    `where dt = DATE '${p.dt}' and region = '${p.region}'`);
  const got2 = sorted(hive.getRowObjects().map((r) => rowKey(r.id, r.v)));
  expect(sameList(got2, want), `DuckDB hive-partitioned where dt=${p.dt} and region=${p.region}: ${got2.length} rows, ` +
    `the scan has ${want.length}`);
}

// 4. The primary-key partitioned table.
{
  const pkUrl = `file://${expected.pk.table_dir}`;
  const pkMeta = await icebergMetadata({ tableUrl: pkUrl });
  let deletes = 0;
  for (const { entries: list } of await icebergManifests(pkMeta)) {
    for (const e of list) {
      if (e.status === 2 || e.data_file.content !== 2) continue;
      deletes++;
      const m = /\/data\/dt=([0-9-]+)\/[^/]+$/.exec(e.data_file.file_path);
      const dt = e.data_file.partition.dt ?? e.data_file.partition[1000];
      expect(m !== null && dt === m[1], `pk delete file ${e.data_file.file_path}: partition dt ${dt}, not its directory's`);
    }
  }
  expect(deletes > 0, 'the primary-key table has no equality delete file');
  const dateText = (d) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d));
  const got = sorted((await icebergRead({ tableUrl: pkUrl, metadata: pkMeta }))
    .map((r) => `${r.id}/${dateText(r.dt)}/${r.name}`));
  const want = sorted(expected.pk.rows.map((r) => `${r.id}/${r.dt}/${r.name}`));
  expect(sameList(got, want), `icebird, primary-key table: ${got.length} rows (${show(got)}), ` +
    `the lookups ${want.length} (${show(want)})`);
}

if (errors.length) {
  console.error(`partitioned_lake_check: ${errors.length} of ${checks} checks failed:`);
  for (const e of errors.slice(0, 20)) console.error(`  - ${e}`);
  process.exit(1);
}
console.log(`partitioned_lake_check: ${checks} checks passed (${total} rows in ${expected.partitions.length} partitions)`);
