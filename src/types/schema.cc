#include "types/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

namespace fluss {

Result<Schema> Schema::Make(std::vector<Column> columns, std::vector<std::string> primary_key) {
  if (columns.empty()) return Status::Invalid("a schema needs at least one column");
  std::set<std::string> names;
  int32_t highest = -1;
  for (const auto& c : columns) {
    if (c.name.empty()) return Status::Invalid("column names must not be empty");
    if (!names.insert(c.name).second) return Status::Invalid(fmt::format("duplicate column name '{}'", c.name));
    FLUSS_RETURN_NOT_OK(c.type.Validate().WithContext(fmt::format("column '{}'", c.name)));
    highest = std::max(highest, c.id);
  }
  std::set<int32_t> ids;
  for (auto& c : columns) {
    if (c.id < 0) c.id = ++highest;
    if (!ids.insert(c.id).second) return Status::Invalid(fmt::format("duplicate column id {}", c.id));
  }
  std::set<std::string> pk_seen;
  for (const auto& k : primary_key) {
    if (!pk_seen.insert(k).second) return Status::Invalid(fmt::format("primary key names column '{}' twice", k));
    auto it = std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.name == k; });
    if (it == columns.end()) {
      return Status::Invalid(fmt::format("primary key column '{}' is not a column of the schema", k));
    }
    it->type = it->type.NotNull();
  }
  Schema s;
  s.columns_ = std::move(columns);
  s.primary_key_ = std::move(primary_key);
  s.highest_field_id_ = highest;
  return s;
}

std::vector<size_t> Schema::primary_key_indexes() const {
  std::vector<size_t> out;
  for (const auto& k : primary_key_) out.push_back(*IndexOf(k));
  return out;
}

std::optional<size_t> Schema::IndexOf(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name == name) return i;
  }
  return std::nullopt;
}

std::vector<std::string> Schema::column_names() const {
  std::vector<std::string> out;
  for (const auto& c : columns_) out.push_back(c.name);
  return out;
}

Result<Schema> Schema::AddColumn(std::string name, DataType type, std::string comment) const {
  if (!type.nullable()) {
    return Status(ErrorCode::kInvalidAlterTable,
                  fmt::format("added column '{}' must be nullable: existing rows have no value for it", name));
  }
  if (IndexOf(name)) {
    return Status(ErrorCode::kInvalidAlterTable, fmt::format("column '{}' already exists", name));
  }
  std::vector<Column> cols = columns_;
  cols.push_back(Column{std::move(name), type, highest_field_id_ + 1, std::move(comment)});
  return Make(std::move(cols), primary_key_);
}

Result<Schema> Schema::Project(const std::vector<size_t>& indexes) const {
  std::vector<Column> cols;
  for (size_t i : indexes) {
    if (i >= columns_.size()) {
      return Status(ErrorCode::kInvalidColumnProjection,
                    fmt::format("projected column index {} is out of range (schema has {} columns)", i, columns_.size()));
    }
    cols.push_back(columns_[i]);
  }
  auto s = Make(std::move(cols));
  if (!s.ok()) return Status(ErrorCode::kInvalidColumnProjection, s.status().message());
  s->highest_field_id_ = highest_field_id_;
  return s;
}

namespace {
std::string QuoteIdentifier(const std::string& name) {
  bool plain = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (plain) return name;
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}
}  // namespace

std::string Schema::ToString() const {
  std::string out;
  for (const auto& c : columns_) {
    if (!out.empty()) out += ", ";
    out += QuoteIdentifier(c.name) + " " + c.type.ToString();
    if (!c.comment.empty()) {
      std::string escaped;
      for (char ch : c.comment) {
        if (ch == '\'') escaped += '\'';
        escaped += ch;
      }
      out += " COMMENT '" + escaped + "'";
    }
  }
  if (!primary_key_.empty()) {
    out += ", PRIMARY KEY (";
    for (size_t i = 0; i < primary_key_.size(); ++i) out += (i ? ", " : "") + QuoteIdentifier(primary_key_[i]);
    out += ")";
  }
  return out;
}

// Friend of Schema: the JSON form reads and writes its fields.
struct internal::SchemaJson {
  static nlohmann::json ToJson(const Schema& s);
  static Result<Schema> FromJson(const nlohmann::json& j);
};

nlohmann::json SchemaToJson(const Schema& schema) { return internal::SchemaJson::ToJson(schema); }
Result<Schema> SchemaFromJson(const nlohmann::json& j) { return internal::SchemaJson::FromJson(j); }

nlohmann::json internal::SchemaJson::ToJson(const Schema& s) {
  nlohmann::json j;
  j["version"] = 1;
  auto& cols = j["columns"] = nlohmann::json::array();
  for (const auto& c : s.columns_) {
    nlohmann::json cj;
    cj["name"] = c.name;
    cj["data_type"] = DataTypeToJson(c.type);
    if (!c.comment.empty()) cj["comment"] = c.comment;
    cj["id"] = c.id;
    cols.push_back(std::move(cj));
  }
  if (!s.primary_key_.empty()) j["primary_key"] = s.primary_key_;
  j["highest_field_id"] = s.highest_field_id_;
  return j;
}

Result<Schema> internal::SchemaJson::FromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("columns") || !j["columns"].is_array()) {
    return Status::Invalid("schema JSON must be an object with a 'columns' array");
  }
  std::vector<Column> cols;
  for (const auto& cj : j["columns"]) {
    if (!cj.is_object() || !cj.contains("name") || !cj["name"].is_string() || !cj.contains("data_type")) {
      return Status::Invalid("schema JSON column needs 'name' and 'data_type'");
    }
    Column c{cj["name"].get<std::string>(), DataType::Int(), -1, ""};
    FLUSS_ASSIGN_OR_RETURN(c.type, DataTypeFromJson(cj["data_type"]));
    if (cj.contains("id")) {
      if (!cj["id"].is_number_integer()) return Status::Invalid("schema JSON column 'id' must be an integer");
      c.id = cj["id"].get<int32_t>();
    }
    if (cj.contains("comment") && cj["comment"].is_string()) c.comment = cj["comment"].get<std::string>();
    cols.push_back(std::move(c));
  }
  std::vector<std::string> pk;
  if (j.contains("primary_key")) {
    if (!j["primary_key"].is_array()) return Status::Invalid("schema JSON 'primary_key' must be an array");
    for (const auto& k : j["primary_key"]) {
      if (!k.is_string()) return Status::Invalid("schema JSON 'primary_key' entries must be strings");
      pk.push_back(k.get<std::string>());
    }
  }
  FLUSS_ASSIGN_OR_RETURN(Schema s, Schema::Make(std::move(cols), std::move(pk)));
  if (j.contains("highest_field_id") && j["highest_field_id"].is_number_integer()) {
    int32_t h = j["highest_field_id"].get<int32_t>();
    if (h < s.highest_field_id_) {
      return Status::Invalid(fmt::format("schema JSON highest_field_id {} is below a column id {}", h, s.highest_field_id_));
    }
    s.highest_field_id_ = h;
  }
  return s;
}

}  // namespace fluss
