// Peer measurement for the format benchmark: the npm package apache-arrow (the reference JS
// implementation) decoding and re-encoding the same 20-column Arrow stream our benchmark encodes.
// Usage: node bench/arrow_js_peer.mjs <stream.arrows>   (run from the repo root; uses tests/interop/node_modules)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tests/interop/package.json'));
const arrow = require('apache-arrow');

const file = process.argv[2];
const bytes = readFileSync(file);

function measure(label, fn) {
  // Warm up, then run for at least 1 s.
  for (let i = 0; i < 3; i++) fn();
  let iters = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 1.0) {
    fn();
    iters++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const mbps = (bytes.length * iters) / elapsed / 1e6;
  console.log(`${label.padEnd(40)} ${(elapsed / iters * 1e6).toFixed(0).padStart(10)} us  ${mbps.toFixed(1).padStart(8)} MB/s`);
}

// Decode: parse the stream and materialize every value (as our DecodeBatch does into rows).
measure('apache-arrow JS decode (all values)', () => {
  const table = arrow.tableFromIPC(bytes);
  let n = 0;
  for (const field of table.schema.fields) {
    const col = table.getChild(field.name);
    for (let i = 0; i < col.length; i++) if (col.get(i) !== null) n++;
  }
  return n;
});

// Decode of 2 of 20 columns (what a projection-aware reader pays without server-side projection).
measure('apache-arrow JS decode (2 of 20 columns)', () => {
  const table = arrow.tableFromIPC(bytes);
  let n = 0;
  for (const name of [table.schema.fields[0].name, table.schema.fields[5].name]) {
    const col = table.getChild(name);
    for (let i = 0; i < col.length; i++) if (col.get(i) !== null) n++;
  }
  return n;
});

const table = arrow.tableFromIPC(bytes);
measure('apache-arrow JS encode (from columns)', () => arrow.tableToIPC(table, 'stream'));
