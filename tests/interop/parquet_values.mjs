// Value forms shared by parquet_check.mjs and parquet_duckdb_write.mjs (defined in parquet_interop_writer.cc).
export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
export const sq = (s) => `'${s.replaceAll("'", "''")}'`;
export const ident = (s) => `"${s.replaceAll('"', '""')}"`;

function floatBits(v, width) {
  const buf = new ArrayBuffer(8);
  const view = new DataView(buf);
  if (width === 4) {
    view.setFloat32(0, v, true);
    return view.getUint32(0, true).toString(16).padStart(8, '0');
  }
  view.setFloat64(0, v, true);
  return view.getBigUint64(0, true).toString(16).padStart(16, '0');
}

// A DuckDB value in the expected JSON form for a column of DuckDB type `type`.
export function toExpectedForm(v, type) {
  if (v === null || v === undefined) return null;
  if (type === 'BOOLEAN') return v;
  if (type === 'TINYINT' || type === 'SMALLINT' || type === 'INTEGER') return v;
  if (type === 'BIGINT') return v.toString();
  if (type === 'FLOAT') return floatBits(v, 4);
  if (type === 'DOUBLE') return floatBits(v, 8);
  if (type.startsWith('DECIMAL')) return BigInt(v.value).toString();
  if (type === 'VARCHAR') return v;
  if (type === 'BLOB') return hex(v.bytes);
  if (type === 'DATE') return v.days;
  if (type === 'TIME' || type === 'TIMESTAMP' || type === 'TIMESTAMP WITH TIME ZONE') return BigInt(v.micros).toString();
  return `unsupported type ${type}`;
}

