// Side-by-side table of the server end-to-end run of bench/run.sh: fluss-bench's JSON objects next to
// the peers measured in the same run (iperf3 on loopback, redis-benchmark XADD pipelined).
// Usage: node bench/server_table.mjs <dir>   (<dir> holds produce-none.json, produce-zstd.json,
// consume-all.json, consume-2-str.json, consume-2-num.json, e2e.json, e2e-5ms.json, iperf3.json,
// redis.csv; a missing file shows as "—").
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const read = (name) => {
  const file = path.join(dir, name);
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8').trim();
  if (!text) return null;
  // One JSON document (iperf3 -J), or JSON lines of which the last counts (fluss-bench --json).
  for (const candidate of [text, text.split('\n').pop()]) {
    try {
      return JSON.parse(candidate);
    } catch {
      // next
    }
  }
  return null;
};

const produce = read('produce-none.json');
const produceZstd = read('produce-zstd.json');
const consumeAll = read('consume-all.json');
const consumeStr = read('consume-2-str.json');
const consumeNum = read('consume-2-num.json');
const e2e = read('e2e.json');
const e2e5 = read('e2e-5ms.json');
const iperf = read('iperf3.json');

// iperf3 -J: bytes received per second over the whole test.
const iperfMBps = iperf?.end?.sum_received ? iperf.end.sum_received.bits_per_second / 8 / 1e6 : null;
// redis-benchmark --csv: "test","rps","avg_latency_ms",...
let redisRps = null;
const redisFile = path.join(dir, 'redis.csv');
if (existsSync(redisFile)) {
  for (const line of readFileSync(redisFile, 'utf8').split('\n')) {
    const cells = line.split('","').map((c) => c.replace(/"/g, ''));
    if (cells.length > 1 && cells[0].startsWith('XADD')) redisRps = Number(cells[1]);
  }
}

const num = (v, digits = 0) =>
  v == null || Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a, b) => (a == null || b == null || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);
const lat = (r) =>
  r?.latency_ms ? `${num(r.latency_ms.p50, 1)} / ${num(r.latency_ms.p99, 1)} / ${num(r.latency_ms.p999, 1)} ms` : '—';

const rows = [
  ['| case | fluss-cpp | peer | ratio | target |', '|---|---:|---:|---:|---|'],
  [
    `| produce 1 KiB rows, none: MB/s payload vs iperf3 loopback MB/s | ${num(produce?.payload_mb_per_sec, 1)} | ` +
      `${num(iperfMBps, 1)} | ${ratio(produce?.payload_mb_per_sec, iperfMBps)} | ≥ 0.8× |`,
  ],
  [
    `| produce 1 KiB rows, none: records/s vs Redis XADD -P 64 records/s | ${num(produce?.records_per_sec)} | ` +
      `${num(redisRps)} | ${ratio(produce?.records_per_sec, redisRps)} | ≥ 5× |`,
  ],
  [
    `| produce 1 KiB rows, zstd: records/s (MB/s payload) | ${num(produceZstd?.records_per_sec)} ` +
      `(${num(produceZstd?.payload_mb_per_sec, 1)}) | | | |`,
  ],
  [`| produce append→ack per batch p50 / p99 / p999, none | ${lat(produce)} | | | |`],
  [
    `| consume 2 of 20 [${consumeStr?.project ?? ''}] vs 20 of 20: records/s | ${num(consumeStr?.records_per_sec)} | ` +
      `${num(consumeAll?.records_per_sec)} | ${ratio(consumeStr?.records_per_sec, consumeAll?.records_per_sec)} | ≥ 5× |`,
  ],
  [
    `| consume 2 of 20 [${consumeNum?.project ?? ''}] vs 20 of 20: records/s | ${num(consumeNum?.records_per_sec)} | ` +
      `${num(consumeAll?.records_per_sec)} | ${ratio(consumeNum?.records_per_sec, consumeAll?.records_per_sec)} | |`,
  ],
  [`| consume 20 of 20: MB/s payload | ${num(consumeAll?.payload_mb_per_sec, 1)} | | | |`],
  [
    `| e2e append→poll p50 / p99 / p999, ${num(e2e?.rate)} rows/s, default linger (100 ms) | ${lat(e2e)} | | | |`,
  ],
  [`| e2e append→poll p50 / p99 / p999, ${num(e2e5?.rate)} rows/s, batch-timeout 5 ms | ${lat(e2e5)} | | | |`],
];
console.log(rows.flat().join('\n'));
