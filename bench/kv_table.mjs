// Side-by-side table of the primary-key part of bench/run.sh: fluss-bench upsert / lookup (JSON lines)
// next to db_bench fillrandom / readrandom / updaterandom of the same run.
// Usage: node bench/kv_table.mjs <dir>   (<dir> holds kv-upsert.json, kv-lookup.json, kv-lookup-1.json and
// db_bench.txt; a missing file shows as "—").
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const json = (name) => {
  const file = path.join(dir, name);
  if (!existsSync(file)) return null;
  const last = readFileSync(file, 'utf8').trim().split('\n').pop();
  try {
    return JSON.parse(last);
  } catch {
    return null;
  }
};
const dbBench = {};
const dbFile = path.join(dir, 'db_bench.txt');
if (existsSync(dbFile)) {
  for (const line of readFileSync(dbFile, 'utf8').split('\n')) {
    const m = line.match(/^(\w+)\s*:\s*([\d.]+) micros\/op (\d+) ops\/sec/);
    if (m) dbBench[m[1]] = Number(m[3]);
  }
}
const fmt = (n) => (n == null ? '—' : Math.round(n).toLocaleString('en-US'));
const ratio = (a, b) => (a == null || !b ? '—' : `${(a / b).toFixed(2)}×`);
const met = (a, b, target) => (a == null || !b ? '—' : a / b >= target ? 'yes' : 'no');
const ms = (r) => (r && r.latency_ms ? `${r.latency_ms.p50.toFixed(2)} / ${r.latency_ms.p99.toFixed(2)} ms` : '—');

const upsert = json('kv-upsert.json');
const lookup = json('kv-lookup.json');
const lookup1 = json('kv-lookup-1.json');
const rows = [
  ['upserts/s through the server vs db_bench fillrandom', fmt(upsert?.records_per_sec), `fillrandom ${fmt(dbBench.fillrandom)}`,
    ratio(upsert?.records_per_sec, dbBench.fillrandom), '≥ 0.6×', met(upsert?.records_per_sec, dbBench.fillrandom, 0.6)],
  ['upserts/s vs db_bench updaterandom (read, then write: what an upsert with a changelog does)', fmt(upsert?.records_per_sec),
    `updaterandom ${fmt(dbBench.updaterandom)}`, ratio(upsert?.records_per_sec, dbBench.updaterandom), '', ''],
  ['lookups/s, LookupMany of 128 keys, vs db_bench readrandom', fmt(lookup?.records_per_sec), `readrandom ${fmt(dbBench.readrandom)}`,
    ratio(lookup?.records_per_sec, dbBench.readrandom), '≥ 0.5×', met(lookup?.records_per_sec, dbBench.readrandom, 0.5)],
  ['lookups/s, one key per call (a round trip each)', fmt(lookup1?.records_per_sec), '', '', '', ''],
  ['LookupMany of 128 keys, latency p50 / p99', ms(lookup), '', '', '', ''],
  ['single-key lookup, latency p50 / p99', ms(lookup1), '', '', '', ''],
  ['upsert → ack latency p50 / p99 (throughput run: the writer keeps up to 64 MiB queued)', ms(upsert), '', '', '', ''],
];
console.log('| case | fluss-cpp | peer (same run) | ratio | target | met |');
console.log('|---|---:|---:|---:|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
