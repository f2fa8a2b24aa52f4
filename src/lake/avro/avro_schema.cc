#include "lake/avro/avro_schema.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace fluss::avro {

std::string_view AvroTypeName(AvroType t) {
  switch (t) {
    case AvroType::kNull: return "null";
    case AvroType::kBoolean: return "boolean";
    case AvroType::kInt: return "int";
    case AvroType::kLong: return "long";
    case AvroType::kFloat: return "float";
    case AvroType::kDouble: return "double";
    case AvroType::kBytes: return "bytes";
    case AvroType::kString: return "string";
    case AvroType::kRecord: return "record";
    case AvroType::kEnum: return "enum";
    case AvroType::kArray: return "array";
    case AvroType::kMap: return "map";
    case AvroType::kUnion: return "union";
    case AvroType::kFixed: return "fixed";
  }
  return "?";
}

std::optional<int64_t> AvroField::field_id() const {
  auto it = attrs.find("field-id");
  if (it == attrs.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

std::optional<size_t> AvroNode::FieldIndex(std::string_view n) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == n) return i;
  }
  return std::nullopt;
}

std::optional<size_t> AvroNode::NullBranch() const {
  for (size_t i = 0; i < branches.size(); ++i) {
    if (branches[i]->type == AvroType::kNull) return i;
  }
  return std::nullopt;
}

namespace {

constexpr int kMaxDepth = 64;

std::optional<AvroType> PrimitiveByName(std::string_view n) {
  static const std::map<std::string_view, AvroType> kNames = {
      {"null", AvroType::kNull},     {"boolean", AvroType::kBoolean}, {"int", AvroType::kInt},
      {"long", AvroType::kLong},     {"float", AvroType::kFloat},     {"double", AvroType::kDouble},
      {"bytes", AvroType::kBytes},   {"string", AvroType::kString}};
  auto it = kNames.find(n);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

bool ValidName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

class Parser {
 public:
  Result<AvroNodePtr> Parse(const nlohmann::json& j, const std::string& ns, int depth) {
    if (depth > kMaxDepth) return Status::Invalid("avro schema: nested deeper than 64 levels");
    if (j.is_string()) return ParseName(j.get<std::string>(), ns);
    if (j.is_array()) return ParseUnion(j, ns, depth);
    if (!j.is_object()) return Status::Invalid("avro schema: a type must be a string, array or object");
    auto t = j.find("type");
    if (t == j.end()) return Status::Invalid("avro schema: object without \"type\"");
    if (!t->is_string()) {
      // {"type": {...}} or {"type": [...]}: a wrapped type (attributes on the wrapper are dropped).
      return Parse(*t, ns, depth + 1);
    }
    std::string type = t->get<std::string>();
    auto node = std::make_shared<AvroNode>();
    if (auto lt = j.find("logicalType"); lt != j.end() && lt->is_string()) node->logical_type = *lt;
    if (auto p = PrimitiveByName(type)) {
      node->type = *p;
      node->attrs = Extra(j, {"type"});
      return AvroNodePtr(node);
    }
    if (type == "record" || type == "error") return ParseRecord(j, node, ns, depth);
    if (type == "enum") {
      node->type = AvroType::kEnum;
      std::string enum_ns = ns;
      FLUSS_RETURN_NOT_OK(DefineName(j, node, enum_ns));
      auto s = j.find("symbols");
      if (s == j.end() || !s->is_array()) return Status::Invalid("avro schema: enum without symbols");
      std::set<std::string> seen;
      for (const auto& sym : *s) {
        if (!sym.is_string() || !ValidName(sym.get<std::string>()) || !seen.insert(sym.get<std::string>()).second) {
          return Status::Invalid(fmt::format("avro schema: bad symbol in enum '{}'", node->name));
        }
        node->symbols.push_back(sym.get<std::string>());
      }
      node->attrs = Extra(j, {"type", "name", "namespace", "symbols"});
      return AvroNodePtr(node);
    }
    if (type == "fixed") {
      node->type = AvroType::kFixed;
      std::string fixed_ns = ns;
      FLUSS_RETURN_NOT_OK(DefineName(j, node, fixed_ns));
      auto s = j.find("size");
      if (s == j.end() || !s->is_number_integer() || s->get<int64_t>() < 0 || s->get<int64_t>() > (1 << 20)) {
        return Status::Invalid(fmt::format("avro schema: fixed '{}' needs a size 0..1048576", node->name));
      }
      node->fixed_size = s->get<int64_t>();
      node->attrs = Extra(j, {"type", "name", "namespace", "size"});
      return AvroNodePtr(node);
    }
    if (type == "array") {
      node->type = AvroType::kArray;
      auto it = j.find("items");
      if (it == j.end()) return Status::Invalid("avro schema: array without items");
      FLUSS_ASSIGN_OR_RETURN(node->items, Parse(*it, ns, depth + 1));
      node->attrs = Extra(j, {"type", "items"});
      return AvroNodePtr(node);
    }
    if (type == "map") {
      node->type = AvroType::kMap;
      auto it = j.find("values");
      if (it == j.end()) return Status::Invalid("avro schema: map without values");
      FLUSS_ASSIGN_OR_RETURN(node->values, Parse(*it, ns, depth + 1));
      node->attrs = Extra(j, {"type", "values"});
      return AvroNodePtr(node);
    }
    // A named-type reference written as {"type": "name"}.
    return ParseName(type, ns);
  }

 private:
  static nlohmann::json Extra(const nlohmann::json& j, std::initializer_list<std::string_view> skip) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool skipped = false;
      for (auto s : skip) skipped = skipped || it.key() == s;
      if (!skipped) out[it.key()] = it.value();
    }
    return out;
  }

  Result<AvroNodePtr> ParseName(const std::string& n, const std::string& ns) {
    if (auto p = PrimitiveByName(n)) {
      auto node = std::make_shared<AvroNode>();
      node->type = *p;
      node->attrs = nlohmann::json::object();
      return AvroNodePtr(node);
    }
    if (n.find('.') == std::string::npos && !ns.empty()) {
      if (auto it = named_.find(ns + "." + n); it != named_.end()) return Resolved(it->second);
    }
    if (auto it = named_.find(n); it != named_.end()) return Resolved(it->second);
    return Status::Invalid(fmt::format("avro schema: unknown type name '{}'", n));
  }

  // A reference to a record still being defined would make the tree a cycle: refused (Iceberg never
  // uses recursive types).
  Result<AvroNodePtr> Resolved(const AvroNodePtr& node) {
    if (open_records_.count(node.get())) {
      return Status::NotSupported(fmt::format("avro schema: recursive type '{}' is not supported", node->name));
    }
    return node;
  }

  Status DefineName(const nlohmann::json& j, const std::shared_ptr<AvroNode>& node, std::string& ns_out) {
    auto n = j.find("name");
    if (n == j.end() || !n->is_string()) return Status::Invalid("avro schema: named type without a name");
    std::string name = *n;
    std::string ns = ns_out;
    if (auto s = j.find("namespace"); s != j.end() && s->is_string()) ns = *s;
    std::string full;
    if (name.find('.') != std::string::npos) {
      full = name;
      ns = name.substr(0, name.rfind('.'));
      name = name.substr(name.rfind('.') + 1);
    } else {
      full = ns.empty() ? name : ns + "." + name;
    }
    if (!ValidName(name)) return Status::Invalid(fmt::format("avro schema: invalid name '{}'", name));
    if (PrimitiveByName(full)) return Status::Invalid(fmt::format("avro schema: '{}' redefines a primitive", full));
    if (!named_.emplace(full, node).second) {
      return Status::Invalid(fmt::format("avro schema: type '{}' defined twice", full));
    }
    node->name = full;
    ns_out = ns;
    return Status::OK();
  }

  Result<AvroNodePtr> ParseRecord(const nlohmann::json& j, const std::shared_ptr<AvroNode>& node,
                                  std::string ns, int depth) {
    node->type = AvroType::kRecord;
    FLUSS_RETURN_NOT_OK(DefineName(j, node, ns));
    auto f = j.find("fields");
    if (f == j.end() || !f->is_array()) {
      return Status::Invalid(fmt::format("avro schema: record '{}' without fields", node->name));
    }
    std::set<std::string> seen;
    open_records_.insert(node.get());
    for (const auto& fj : *f) {
      if (!fj.is_object() || !fj.contains("name") || !fj["name"].is_string() || !fj.contains("type")) {
        return Status::Invalid(fmt::format("avro schema: record '{}' has a field without name or type", node->name));
      }
      AvroField field;
      field.name = fj["name"].get<std::string>();
      if (!ValidName(field.name) || !seen.insert(field.name).second) {
        return Status::Invalid(fmt::format("avro schema: bad or duplicate field '{}' in record '{}'", field.name,
                                           node->name));
      }
      FLUSS_ASSIGN_OR_RETURN(field.type, Parse(fj["type"], ns, depth + 1));
      field.attrs = Extra(fj, {"name", "type"});
      node->fields.push_back(std::move(field));
    }
    open_records_.erase(node.get());
    node->attrs = Extra(j, {"type", "name", "namespace", "fields"});
    return AvroNodePtr(node);
  }

  Result<AvroNodePtr> ParseUnion(const nlohmann::json& j, const std::string& ns, int depth) {
    auto node = std::make_shared<AvroNode>();
    node->type = AvroType::kUnion;
    node->attrs = nlohmann::json::object();
    if (j.empty()) return Status::Invalid("avro schema: empty union");
    std::set<std::string> kinds;
    for (const auto& b : j) {
      FLUSS_ASSIGN_OR_RETURN(AvroNodePtr branch, Parse(b, ns, depth + 1));
      if (branch->type == AvroType::kUnion) return Status::Invalid("avro schema: union directly inside a union");
      std::string key = branch->name.empty() ? std::string(AvroTypeName(branch->type)) : branch->name;
      if (!kinds.insert(key).second) {
        return Status::Invalid(fmt::format("avro schema: union has two branches of type '{}'", key));
      }
      node->branches.push_back(std::move(branch));
    }
    return AvroNodePtr(node);
  }

  std::map<std::string, AvroNodePtr> named_;
  std::set<const AvroNode*> open_records_;
};

}  // namespace

Result<AvroSchema> AvroSchema::Parse(std::string_view json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Invalid("avro schema: not valid JSON");
  Parser parser;
  FLUSS_ASSIGN_OR_RETURN(AvroNodePtr root, parser.Parse(j, "", 0));
  AvroSchema schema;
  schema.root_ = std::move(root);
  schema.json_text_ = std::string(json_text);
  return schema;
}

}  // namespace fluss::avro
