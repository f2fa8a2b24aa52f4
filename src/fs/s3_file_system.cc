#include "fs/s3_file_system.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "fs/s3_xml.h"

namespace fluss {

namespace {

constexpr std::string_view kScheme = "s3://";
constexpr size_t kDeleteBatch = 1000;  // DeleteObjects' limit

std::string_view AsText(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::vector<uint8_t> ToBytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// An object written through the file system: buffered, uploaded in parts once it outgrows one.
class S3WritableFile final : public WritableFile {
 public:
  S3WritableFile(std::string path, S3Client& client, S3Path object)
      : WritableFile(std::move(path)), client_(client), object_(std::move(object)) {}

  ~S3WritableFile() override {
    if (!closed_ && !upload_id_.empty()) Abort();
  }

  Status Append(std::span<const uint8_t> data) override {
    if (closed_) return Status::IOError(fmt::format("append to '{}': the file is closed", path_));
    if (!failed_.ok()) return failed_;
    buffer_.append(AsText(data));
    size_ += data.size();
    const size_t part = client_.options().multipart_size;
    size_t uploaded = 0;
    while (buffer_.size() - uploaded >= part + 1) {  // keep at least one byte for the last part
      Status st = UploadPart(std::string_view(buffer_).substr(uploaded, part));
      if (!st.ok()) return Fail(st);
      uploaded += part;
    }
    buffer_.erase(0, uploaded);
    return Status::OK();
  }

  // Nothing is visible or durable before Close() on object storage (WritableFile::Sync).
  Status Sync() override { return failed_; }

  Status Close() override {
    if (closed_) return Status::OK();
    closed_ = true;
    if (!failed_.ok()) {
      if (!upload_id_.empty()) Abort();
      return failed_;
    }
    if (upload_id_.empty()) {
      S3Request put{"PUT", object_.bucket, object_.key, {}, {}, buffer_};
      auto r = client_.Send(put, "PUT");
      buffer_.clear();
      return r.ok() ? Status::OK() : r.status();
    }
    Status st = buffer_.empty() ? Status::OK() : UploadPart(buffer_);
    if (st.ok()) st = Complete();
    buffer_.clear();
    if (!st.ok()) Abort();
    return st;
  }

 private:
  Status Fail(Status st) {
    failed_ = st;
    return st;
  }

  Status UploadPart(std::string_view bytes) {
    if (upload_id_.empty()) {
      S3Request create{"POST", object_.bucket, object_.key, {{"uploads", ""}}, {}, {}};
      FLUSS_ASSIGN_OR_RETURN(S3Response r, client_.Send(create, "CreateMultipartUpload"));
      upload_id_ = XmlText(r.body, "UploadId").value_or("");
      if (upload_id_.empty()) {
        return Status::IOError(fmt::format("S3 CreateMultipartUpload '{}': the answer has no UploadId",
                                           S3ObjectName(object_.bucket, object_.key)));
      }
    }
    const int number = static_cast<int>(etags_.size()) + 1;
    S3Request put{"PUT",       object_.bucket,
                  object_.key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}},
                  {},          bytes};
    FLUSS_ASSIGN_OR_RETURN(S3Response r, client_.Send(put, fmt::format("UploadPart {}", number)));
    const std::string* etag = r.Header("etag");
    if (etag == nullptr) {
      return Status::IOError(fmt::format("S3 UploadPart {} '{}': the answer has no ETag", number,
                                         S3ObjectName(object_.bucket, object_.key)));
    }
    etags_.push_back(*etag);
    return Status::OK();
  }

  Status Complete() {
    std::string body = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags_.size(); ++i) {
      body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, XmlEscape(etags_[i]));
    }
    body += "</CompleteMultipartUpload>";
    S3Request complete{"POST", object_.bucket, object_.key, {{"uploadId", upload_id_}}, {}, body};
    auto sent = client_.Send(complete, "CompleteMultipartUpload");
    if (!sent.ok()) {
      // A retry after a completion whose answer was lost finds no upload: the object is there.
      if (sent.status().message().find("NoSuchUpload") != std::string::npos && CompletedAlready()) {
        upload_id_.clear();
        return Status::OK();
      }
      return sent.status();
    }
    const S3Response& r = *sent;
    // S3 may answer 200 and report the failure in the body.
    if (!XmlElements(r.body, "Error").empty()) {
      return Status::IOError(
          fmt::format("S3 CompleteMultipartUpload '{}': {}: {}", S3ObjectName(object_.bucket, object_.key),
                      XmlText(r.body, "Code").value_or("?"), XmlText(r.body, "Message").value_or("")));
    }
    upload_id_.clear();
    return Status::OK();
  }

  // Whether the object exists with every byte appended (a completion that went through).
  bool CompletedAlready() {
    auto head = client_.Send({"HEAD", object_.bucket, object_.key, {}, {}, {}}, "HEAD");
    if (!head.ok()) return false;
    const std::string* length = head->Header("content-length");
    return length != nullptr && *length == std::to_string(size_);
  }

  // Best effort: the upload's parts are dropped on the server (a lifecycle rule for incomplete
  // multipart uploads catches what a crash leaves).
  void Abort() {
    S3Request abort{"DELETE", object_.bucket, object_.key, {{"uploadId", upload_id_}}, {}, {}};
    (void)client_.Send(abort, "AbortMultipartUpload");
    upload_id_.clear();
  }

  S3Client& client_;
  const S3Path object_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  Status failed_;
  bool closed_ = false;
};

// The object `path` names; InvalidArgument for a bucket alone (an operation on an object must
// never reach the bucket: DELETE of "s3://bucket" would delete the bucket).
Result<S3Path> ObjectPath(const std::string& path, std::string_view what) {
  FLUSS_ASSIGN_OR_RETURN(S3Path p, S3Path::Parse(path));
  if (p.key.empty()) return Status::InvalidArgument(fmt::format("{} '{}': names a bucket, not an object", what, path));
  return p;
}

}  // namespace

Result<S3Path> S3Path::Parse(std::string_view uri) {
  if (!uri.starts_with(kScheme)) {
    return Status::InvalidArgument(fmt::format("'{}' is not an s3:// path (s3://<bucket>/<key>)", uri));
  }
  std::string_view rest = uri.substr(kScheme.size());
  const size_t slash = rest.find('/');
  S3Path p;
  p.bucket = std::string(rest.substr(0, slash));
  if (p.bucket.empty()) return Status::InvalidArgument(fmt::format("'{}' names no bucket (s3://<bucket>/<key>)", uri));
  std::string_view key = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  while (!key.empty() && key.back() == '/') key.remove_suffix(1);
  p.key = std::string(key);
  return p;
}

Result<std::unique_ptr<S3FileSystem>> S3FileSystem::Make(S3Options options) {
  FLUSS_ASSIGN_OR_RETURN(auto client, S3Client::Make(std::move(options)));
  return std::unique_ptr<S3FileSystem>(new S3FileSystem(std::move(client)));
}

Result<std::unique_ptr<WritableFile>> S3FileSystem::NewWritableFile(const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(S3Path p, ObjectPath(path, "create"));
  return std::unique_ptr<WritableFile>(new S3WritableFile(path, *client_, std::move(p)));
}

Result<std::vector<uint8_t>> S3FileSystem::ReadFile(const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(S3Path p, ObjectPath(path, "read"));
  FLUSS_ASSIGN_OR_RETURN(S3Response r, client_->Send({"GET", p.bucket, p.key, {}, {}, {}}, "GET"));
  return ToBytes(r.body);
}

Result<std::vector<uint8_t>> S3FileSystem::ReadRange(const std::string& path, uint64_t offset, uint64_t length) {
  FLUSS_ASSIGN_OR_RETURN(S3Path p, ObjectPath(path, "read"));
  if (length == 0) {
    FLUSS_RETURN_NOT_OK(FileSize(path).status());  // NotFound still says so
    return std::vector<uint8_t>{};
  }
  // An end past 2^64 - 1 (a length meaning "to the end") is an open range.
  const std::string range = length - 1 > UINT64_MAX - offset ? fmt::format("bytes={}-", offset)
                                                             : fmt::format("bytes={}-{}", offset, offset + length - 1);
  S3Request get{"GET", p.bucket, p.key, {}, {{"range", range}}, {}};
  auto r = client_->Send(get, fmt::format("GET of bytes {}..{}", offset, offset + length));
  if (!r.ok()) {
    // 416: the range starts at or after the end (the object exists).
    if (r.status().message().find("HTTP 416") != std::string::npos) return std::vector<uint8_t>{};
    return r.status();
  }
  // A server that ignores Range answers 200 with the whole object.
  if (r->status == 200) {
    if (offset >= r->body.size()) return std::vector<uint8_t>{};
    return ToBytes(r->body.substr(offset, length));
  }
  return ToBytes(r->body);
}

Result<uint64_t> S3FileSystem::FileSize(const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(S3Path p, ObjectPath(path, "size of"));
  FLUSS_ASSIGN_OR_RETURN(S3Response r, client_->Send({"HEAD", p.bucket, p.key, {}, {}, {}}, "HEAD"));
  const std::string* length = r.Header("content-length");
  if (length == nullptr) return Status::IOError(fmt::format("S3 HEAD '{}': the answer has no Content-Length", path));
  return static_cast<uint64_t>(std::stoull(*length));
}

Status S3FileSystem::CreateDirectories(const std::string& path) { return S3Path::Parse(path).status(); }

Status S3FileSystem::SyncDirectory(const std::string& path) { return S3Path::Parse(path).status(); }

Status S3FileSystem::Rename(const std::string& from, const std::string& to) {
  FLUSS_ASSIGN_OR_RETURN(S3Path src, ObjectPath(from, "rename"));
  FLUSS_ASSIGN_OR_RETURN(S3Path dst, ObjectPath(to, "rename to"));
  S3Request copy{
      "PUT", dst.bucket, dst.key, {}, {{"x-amz-copy-source", UriEncode("/" + src.bucket + "/" + src.key, false)}}, {}};
  auto r = client_->Send(copy, fmt::format("copy from '{}' to", from));
  if (!r.ok()) return r.status();
  if (!XmlElements(r->body, "Error").empty()) {
    return Status::IOError(fmt::format("S3 copy from '{}' to '{}': {}: {}", from, to,
                                       XmlText(r->body, "Code").value_or("?"),
                                       XmlText(r->body, "Message").value_or("")));
  }
  return Remove(from);
}

Result<bool> S3FileSystem::LinkIfAbsent(const std::string& from, const std::string& to) {
  return Status::NotSupported(fmt::format("link '{}' to '{}': object storage has no links", from, to));
}

Status S3FileSystem::Remove(const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(S3Path p, ObjectPath(path, "remove"));
  auto r = client_->Send({"DELETE", p.bucket, p.key, {}, {}, {}}, "DELETE");
  if (!r.ok() && r.status().kind() != StatusCode::kNotFound) return r.status();
  return Status::OK();
}

Result<std::vector<std::string>> S3FileSystem::ListKeys(const std::string& bucket, const std::string& prefix) {
  std::vector<std::string> keys;
  std::string token;
  do {
    S3Request list{"GET", bucket, "", {{"list-type", "2"}, {"prefix", prefix}}, {}, {}};
    if (!token.empty()) list.query.emplace_back("continuation-token", token);
    if (options().list_max_keys > 0) list.query.emplace_back("max-keys", std::to_string(options().list_max_keys));
    FLUSS_ASSIGN_OR_RETURN(S3Response r, client_->Send(list, "ListObjectsV2 of prefix '" + prefix + "' in"));
    for (std::string_view contents : XmlElements(r.body, "Contents")) {
      if (auto key = XmlText(contents, "Key")) keys.push_back(std::move(*key));
    }
    token = XmlText(r.body, "IsTruncated").value_or("false") == "true"
                ? XmlText(r.body, "NextContinuationToken").value_or("")
                : "";
  } while (!token.empty());
  return keys;
}

Status S3FileSystem::DeleteKeys(const std::string& bucket, const std::vector<std::string>& keys) {
  for (size_t start = 0; start < keys.size(); start += kDeleteBatch) {
    const size_t end = std::min(keys.size(), start + kDeleteBatch);
    std::string body = "<Delete><Quiet>true</Quiet>";
    for (size_t i = start; i < end; ++i) body += "<Object><Key>" + XmlEscape(keys[i]) + "</Key></Object>";
    body += "</Delete>";
    S3Request del{"POST", bucket, "", {{"delete", ""}}, {{"content-md5", Md5Base64(body)}}, body};
    auto r = client_->Send(del, "DeleteObjects in");
    if (!r.ok()) {
      // A server without DeleteObjects: one DELETE per key.
      if (r.status().message().find("NotImplemented") == std::string::npos &&
          r.status().message().find("HTTP 501") == std::string::npos) {
        return r.status();
      }
      for (size_t i = start; i < end; ++i) FLUSS_RETURN_NOT_OK(Remove(S3ObjectName(bucket, keys[i])));
      continue;
    }
    auto errors = XmlElements(r->body, "Error");
    if (!errors.empty()) {
      return Status::IOError(fmt::format("S3 DeleteObjects in 's3://{}': {} of {} keys not deleted, first '{}': {}: {}",
                                         bucket, errors.size(), end - start, XmlText(errors[0], "Key").value_or("?"),
                                         XmlText(errors[0], "Code").value_or("?"),
                                         XmlText(errors[0], "Message").value_or("")));
    }
  }
  return Status::OK();
}

Status S3FileSystem::RemoveAll(const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(S3Path p, S3Path::Parse(path));
  FLUSS_ASSIGN_OR_RETURN(auto keys, ListKeys(p.bucket, p.key.empty() ? "" : p.key + "/"));
  if (!p.key.empty()) keys.push_back(p.key);
  return DeleteKeys(p.bucket, keys);
}

Result<bool> S3FileSystem::Exists(const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(S3Path p, S3Path::Parse(path));
  if (!p.key.empty()) {
    auto head = client_->Send({"HEAD", p.bucket, p.key, {}, {}, {}}, "HEAD");
    if (head.ok()) return true;
    if (head.status().kind() != StatusCode::kNotFound) return head.status();
  }
  // A "directory": some key below it.
  S3Request list{"GET", p.bucket,
                 "",    {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", p.key.empty() ? "" : p.key + "/"}},
                 {},    {}};
  auto r = client_->Send(list, "ListObjectsV2 in");
  if (!r.ok()) {
    if (r.status().kind() == StatusCode::kNotFound && p.key.empty()) return false;  // no such bucket
    return r.status();
  }
  return !XmlElements(r->body, "Contents").empty();
}

Result<std::vector<std::string>> S3FileSystem::ListDirectory(const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(S3Path p, S3Path::Parse(path));
  const std::string prefix = p.key.empty() ? "" : p.key + "/";
  std::vector<std::string> names;
  std::string token;
  do {
    S3Request list{"GET", p.bucket, "", {{"list-type", "2"}, {"delimiter", "/"}, {"prefix", prefix}}, {}, {}};
    if (!token.empty()) list.query.emplace_back("continuation-token", token);
    if (options().list_max_keys > 0) list.query.emplace_back("max-keys", std::to_string(options().list_max_keys));
    FLUSS_ASSIGN_OR_RETURN(S3Response r, client_->Send(list, "ListObjectsV2 of '" + path + "' in"));
    for (std::string_view contents : XmlElements(r.body, "Contents")) {
      auto key = XmlText(contents, "Key");
      if (key && key->size() > prefix.size()) names.push_back(key->substr(prefix.size()));
    }
    for (std::string_view common : XmlElements(r.body, "CommonPrefixes")) {
      auto sub = XmlText(common, "Prefix");
      if (!sub || sub->size() <= prefix.size()) continue;
      std::string name = sub->substr(prefix.size());
      if (!name.empty() && name.back() == '/') name.pop_back();
      names.push_back(std::move(name));
    }
    token = XmlText(r.body, "IsTruncated").value_or("false") == "true"
                ? XmlText(r.body, "NextContinuationToken").value_or("")
                : "";
  } while (!token.empty());
  return names;
}

Result<std::shared_ptr<FileSystem>> FileSystemForUri(std::string_view uri,
                                                     const std::map<std::string, std::string>& options) {
  if (uri.starts_with(kScheme)) {
    FLUSS_RETURN_NOT_OK(S3Path::Parse(uri).status());
    FLUSS_ASSIGN_OR_RETURN(S3Options s3, S3Options::FromConfig(options));
    FLUSS_ASSIGN_OR_RETURN(auto fs, S3FileSystem::Make(std::move(s3)));
    return std::shared_ptr<FileSystem>(std::move(fs));
  }
  if (const size_t sep = uri.find("://"); sep != std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("'{}': the scheme '{}' is not supported; give an s3://<bucket>/<prefix> URI or a local path", uri,
                    uri.substr(0, sep)));
  }
  if (uri.empty()) return Status::InvalidArgument("an empty path names no file system");
  // The local file system lives as long as the process: a shared_ptr that does not own it.
  return std::shared_ptr<FileSystem>(&FileSystem::Local(), [](FileSystem*) {});
}

}  // namespace fluss
