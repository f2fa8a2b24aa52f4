// S3FileSystem: the FileSystem of objects in S3-compatible object storage (AWS S3, MinIO, s3rver,
// ...), for paths "s3://bucket/key". Directories do not exist on object storage: "a/b" is a
// directory when some key starts with "a/b/". docs/remote-storage.md says what each operation does
// there; in short:
//
//   NewWritableFile   buffers; an object larger than one part (S3Options::multipart_size) goes up
//                     as a multipart upload, part by part as it is appended, a smaller one in a
//                     single PUT at Close(). The object appears only when Close() succeeds; a failed
//                     Close(), or a file destroyed without Close(), leaves no object (the multipart
//                     upload is aborted on the server). Sync() does nothing (see WritableFile).
//   ReadFile/ReadRange GET (with a Range header).        FileSize / Exists   HEAD (Exists: also a
//   ListDirectory     ListObjectsV2, delimiter '/', all     "directory" with keys below it)
//                     pages (continuation tokens); a
//                     missing directory lists empty.
//   Remove            DELETE (OK when absent).           RemoveAll   the object, and every key below
//   Rename            CopyObject + DELETE: NOT atomic      "path/" (ListObjectsV2 + DeleteObjects in
//                     (a crash between leaves both); one   batches of 1000; one DELETE per key where
//                     object, at most 5 GiB.               the server does not implement it)
//   CreateDirectories, SyncDirectory   nothing to do: OK.
//   LinkIfAbsent, OpenRandomRWFile, SyncFileSystem   NotSupported.
//
// Every request is signed with SigV4 and retried on network errors, 5xx and 429 (S3Client).
// Errors name the operation and "s3://bucket/key", with S3's error code and message.
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "fs/file_system.h"
#include "fs/s3_client.h"

namespace fluss {

// "s3://bucket/key/path" split. The key has no leading or trailing '/'.
struct S3Path {
  std::string bucket;
  std::string key;
  // InvalidArgument when `uri` is not s3://<bucket>[/<key>].
  static Result<S3Path> Parse(std::string_view uri);
};

class S3FileSystem final : public FileSystem {
 public:
  static Result<std::unique_ptr<S3FileSystem>> Make(S3Options options);

  const S3Options& options() const { return client_->options(); }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::vector<uint8_t>> ReadFile(const std::string& path) override;
  Result<std::vector<uint8_t>> ReadRange(const std::string& path, uint64_t offset, uint64_t length) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Status CreateDirectories(const std::string& path) override;
  Status SyncDirectory(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<bool> LinkIfAbsent(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override;
  Result<std::vector<std::string>> ListDirectory(const std::string& path) override;

  // Every key under "s3://bucket/prefix" (no delimiter), relative to the bucket.
  Result<std::vector<std::string>> ListKeys(const std::string& bucket, const std::string& prefix);

 private:
  explicit S3FileSystem(std::unique_ptr<S3Client> client) : client_(std::move(client)) {}
  Status DeleteKeys(const std::string& bucket, const std::vector<std::string>& keys);

  std::unique_ptr<S3Client> client_;
};

// The FileSystem for `uri`: S3FileSystem (configured by the `s3.*` keys of `options`) for
// "s3://...", the local one for a plain path (absolute or relative). InvalidArgument for any other
// scheme ("file://", "hdfs://", ...: give a local path or an s3:// URI) and for bad `s3.*` options.
Result<std::shared_ptr<FileSystem>> FileSystemForUri(std::string_view uri,
                                                     const std::map<std::string, std::string>& options);

}  // namespace fluss
