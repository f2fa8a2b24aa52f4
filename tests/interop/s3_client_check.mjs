// The independent S3 client of S3Interop (README.md): @aws-sdk/client-s3 lists, reads and writes
// objects on the server fluss-cpp's S3FileSystem uses, so what one writes the other must read.
//   node s3_client_check.mjs <endpoint> list <bucket> <prefix>      -> JSON [{key, size}] (every page)
//   node s3_client_check.mjs <endpoint> get <bucket> <key> <file>   -> the object's bytes into <file>
//   node s3_client_check.mjs <endpoint> put <bucket> <key> <file>   -> PutObject of <file>'s bytes
// Credentials are s3rver's default key pair (S3RVER / S3RVER); path-style addressing.
import { readFileSync, writeFileSync } from "node:fs";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const [endpoint, command, bucket, key, file] = process.argv.slice(2);
const client = new S3Client({
  endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
});

if (command === "list") {
  const out = [];
  let token;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token, MaxKeys: 2 }),
    );
    for (const o of page.Contents ?? []) out.push({ key: o.Key, size: o.Size });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  console.log(JSON.stringify(out));
} else if (command === "get") {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  writeFileSync(file, Buffer.from(await r.Body.transformToByteArray()));
} else if (command === "put") {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
} else {
  console.error(`unknown command '${command}'`);
  process.exit(2);
}
