// Codec providers for apache-arrow JS IPC body compression, shared by arrow_check.mjs and
// arrow_write.mjs: lz4js (LZ4 frame, encode + decode) and fzstd (ZSTD, decode only).
import { compressionRegistry, CompressionType } from 'apache-arrow';
import lz4 from 'lz4js';
import * as fzstd from 'fzstd';

export const codecs = {
  [CompressionType.LZ4_FRAME]: {
    encode: (data) => new Uint8Array(lz4.compress(data)),
    decode: (data) => new Uint8Array(lz4.decompress(data)),
  },
  // fzstd is decode-only. Its output may be a view that is not 8-aligned, and apache-arrow then fails to
  // build BigInt64Array columns: return a fresh copy.
  [CompressionType.ZSTD]: {
    decode: (data) => new Uint8Array(fzstd.decompress(data)),
  },
};

export function registerCodecs() {
  compressionRegistry.set(CompressionType.LZ4_FRAME, codecs[CompressionType.LZ4_FRAME]);
  compressionRegistry.set(CompressionType.ZSTD, codecs[CompressionType.ZSTD]);
}
