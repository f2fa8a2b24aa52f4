// The AWS SDK's own SigV4 signer (@smithy/signature-v4, the one @aws-sdk/client-s3 uses, configured
// as the S3 client configures it: path not escaped again, payload hash signed) over requests that
// fluss-cpp's SignV4 signs too; S3Interop compares the Authorization headers.
//   node s3_sigv4_sign.mjs <requests.json>  -> JSON [authorization, ...]
// Each request: {method, host, path (unencoded), query: [[name, value]], headers: [[name, value]],
// body, payload_hash (optional: sent as x-amz-content-sha256, e.g. UNSIGNED-PAYLOAD), date (ISO),
// access_key, secret_key, region}.
import { readFileSync } from "node:fs";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";

// S3's object-key encoding (what @aws-sdk/client-s3 puts in the path): every byte but the
// unreserved ones, '/' kept.
const encodePath = (path) =>
  path
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()))
    .join("/");

const requests = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = [];
for (const r of requests) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: r.access_key, secretAccessKey: r.secret_key },
    region: r.region,
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
  const query = {};
  for (const [name, value] of r.query) {
    if (name in query) query[name] = [].concat(query[name], value);
    else query[name] = value;
  }
  const headers = { host: r.host };
  for (const [name, value] of r.headers) headers[name] = value;
  if (r.payload_hash) headers["x-amz-content-sha256"] = r.payload_hash;
  const signed = await signer.sign(
    { method: r.method, protocol: "http:", hostname: r.host, path: encodePath(r.path), query, headers, body: r.body },
    { signingDate: new Date(r.date) },
  );
  out.push(signed.headers.authorization ?? signed.headers.Authorization);
}
console.log(JSON.stringify(out));
