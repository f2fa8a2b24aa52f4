#include "types/schema_parser.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "common/ascii.h"

namespace fluss {
namespace {

enum class TokenKind { kIdent, kQuotedIdent, kNumber, kString, kLParen, kRParen, kComma, kEnd };

struct Token {
  TokenKind kind;
  std::string text;  // identifier / number / string contents
  size_t pos;        // 0-based offset in the input
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Status Tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t start = i;
        while (i < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[i])) || text_[i] == '_')) ++i;
        tokens_.push_back({TokenKind::kIdent, std::string(text_.substr(start, i - start)), start});
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t start = i;
        while (i < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i]))) ++i;
        tokens_.push_back({TokenKind::kNumber, std::string(text_.substr(start, i - start)), start});
      } else if (c == '`' || c == '\'') {
        size_t start = i++;
        std::string value;
        bool closed = false;
        while (i < text_.size()) {
          if (text_[i] == c) {
            if (i + 1 < text_.size() && text_[i + 1] == c) {
              value += c;
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          value += text_[i++];
        }
        if (!closed) {
          return ErrorAt(start, c == '`' ? "unterminated quoted identifier" : "unterminated string literal");
        }
        tokens_.push_back({c == '`' ? TokenKind::kQuotedIdent : TokenKind::kString, std::move(value), start});
      } else if (c == '(') {
        tokens_.push_back({TokenKind::kLParen, "(", i++});
      } else if (c == ')') {
        tokens_.push_back({TokenKind::kRParen, ")", i++});
      } else if (c == ',') {
        tokens_.push_back({TokenKind::kComma, ",", i++});
      } else {
        return ErrorAt(i, fmt::format("unexpected character '{}'", c));
      }
    }
    tokens_.push_back({TokenKind::kEnd, "", text_.size()});
    return Status::OK();
  }

  // `partition_keys` null: a PARTITIONED BY clause is an error (ParseSchema).
  Result<Schema> ParseSchemaBody(std::vector<std::string>* partition_keys) {
    std::vector<Column> columns;
    std::vector<std::string> pk;
    std::optional<size_t> pk_pos;
    bool partitioned = false;
    while (true) {
      if (AtPartitionedBy()) {
        FLUSS_RETURN_NOT_OK(ParsePartitionedBy(partition_keys));
        partitioned = true;
      } else if (IsKeyword("PRIMARY")) {
        if (pk_pos) return ErrorAt(Peek().pos, "PRIMARY KEY is given twice");
        pk_pos = Peek().pos;
        Next();
        FLUSS_RETURN_NOT_OK(ExpectKeyword("KEY"));
        FLUSS_RETURN_NOT_OK(Expect(TokenKind::kLParen, "'('"));
        while (true) {
          FLUSS_ASSIGN_OR_RETURN(std::string name, ParseIdentifier("a primary-key column name"));
          pk.push_back(std::move(name));
          if (Peek().kind == TokenKind::kComma) {
            Next();
            continue;
          }
          FLUSS_RETURN_NOT_OK(Expect(TokenKind::kRParen, "',' or ')'"));
          break;
        }
      } else {
        size_t name_pos = Peek().pos;
        FLUSS_ASSIGN_OR_RETURN(std::string name, ParseIdentifier("a column name or PRIMARY KEY"));
        for (const auto& c : columns) {
          if (c.name == name) return ErrorAt(name_pos, fmt::format("duplicate column name '{}'", name));
        }
        FLUSS_ASSIGN_OR_RETURN(DataType type, ParseType());
        std::string comment;
        if (IsKeyword("COMMENT")) {
          Next();
          if (Peek().kind != TokenKind::kString) return Expected("a quoted comment string");
          comment = Next().text;
        }
        columns.push_back(Column{std::move(name), type, -1, std::move(comment)});
      }
      if (partitioned) {
        if (Peek().kind != TokenKind::kEnd) return Expected("the end of the schema after PARTITIONED BY (...)");
        break;
      }
      if (Peek().kind == TokenKind::kComma) {
        Next();
        continue;
      }
      if (AtPartitionedBy()) continue;  // "..., PRIMARY KEY (id, dt) PARTITIONED BY (dt)"
      if (Peek().kind != TokenKind::kEnd) return Expected("',' or the end of the schema");
      break;
    }
    if (columns.empty()) return ErrorAt(0, "a schema needs at least one column");
    for (const auto& k : pk) {
      bool found = false;
      for (const auto& c : columns) found = found || c.name == k;
      if (!found) return ErrorAt(*pk_pos, fmt::format("primary key column '{}' is not a column of the schema", k));
    }
    auto schema = Schema::Make(std::move(columns), std::move(pk));
    if (!schema.ok()) return Status(ErrorCode::kInvalidConfig, "schema: " + schema.status().message());
    return schema;
  }

  Result<DataType> ParseType() {
    const Token& t = Peek();
    if (t.kind != TokenKind::kIdent) return Expected("a data type");
    size_t type_pos = t.pos;
    std::string kw = AsciiUpper(t.text);
    std::optional<DataType> type;
    Next();
    if (kw == "BOOLEAN" || kw == "BOOL") {
      type = DataType::Boolean();
    } else if (kw == "TINYINT") {
      type = DataType::TinyInt();
    } else if (kw == "SMALLINT") {
      type = DataType::SmallInt();
    } else if (kw == "INT" || kw == "INTEGER") {
      type = DataType::Int();
    } else if (kw == "BIGINT") {
      type = DataType::BigInt();
    } else if (kw == "FLOAT") {
      type = DataType::Float();
    } else if (kw == "DOUBLE") {
      if (IsKeyword("PRECISION")) Next();
      type = DataType::Double();
    } else if (kw == "DECIMAL" || kw == "NUMERIC" || kw == "DEC") {
      int p = 10, s = 0;
      if (Peek().kind == TokenKind::kLParen) {
        Next();
        FLUSS_ASSIGN_OR_RETURN(p, ParseInt("the DECIMAL precision"));
        if (Peek().kind == TokenKind::kComma) {
          Next();
          FLUSS_ASSIGN_OR_RETURN(s, ParseInt("the DECIMAL scale"));
        }
        FLUSS_RETURN_NOT_OK(Expect(TokenKind::kRParen, "')'"));
      }
      type = DataType::Decimal(p, s);
    } else if (kw == "CHAR" || kw == "BINARY") {
      int n = 1;
      if (Peek().kind == TokenKind::kLParen) {
        Next();
        FLUSS_ASSIGN_OR_RETURN(n, ParseInt(fmt::format("the {} length", kw)));
        FLUSS_RETURN_NOT_OK(Expect(TokenKind::kRParen, "')'"));
      }
      type = kw == "CHAR" ? DataType::Char(n) : DataType::Binary(n);
    } else if (kw == "STRING" || kw == "VARCHAR") {
      type = DataType::String();
    } else if (kw == "BYTES" || kw == "VARBINARY") {
      type = DataType::Bytes();
    } else if (kw == "DATE") {
      type = DataType::Date();
    } else if (kw == "TIME") {
      FLUSS_ASSIGN_OR_RETURN(int p, ParseOptionalPrecision(0));
      if (IsKeyword("WITHOUT")) FLUSS_RETURN_NOT_OK(ExpectKeywords({"WITHOUT", "TIME", "ZONE"}));
      type = DataType::Time(p);
    } else if (kw == "TIMESTAMP") {
      FLUSS_ASSIGN_OR_RETURN(int p, ParseOptionalPrecision(DataType::kDefaultTimestampPrecision));
      if (IsKeyword("WITH")) {
        FLUSS_RETURN_NOT_OK(ExpectKeywords({"WITH", "LOCAL", "TIME", "ZONE"}));
        type = DataType::TimestampLtz(p);
      } else {
        if (IsKeyword("WITHOUT")) FLUSS_RETURN_NOT_OK(ExpectKeywords({"WITHOUT", "TIME", "ZONE"}));
        type = DataType::Timestamp(p);
      }
    } else if (kw == "TIMESTAMP_LTZ") {
      FLUSS_ASSIGN_OR_RETURN(int p, ParseOptionalPrecision(DataType::kDefaultTimestampPrecision));
      type = DataType::TimestampLtz(p);
    } else {
      return ErrorAt(type_pos, fmt::format("expected a data type, found '{}'", t.text));
    }
    Status valid = type->Validate();
    if (!valid.ok()) return ErrorAt(type_pos, valid.message());
    if (IsKeyword("NOT")) {
      Next();
      FLUSS_RETURN_NOT_OK(ExpectKeyword("NULL"));
      type = type->NotNull();
    } else if (IsKeyword("NULL")) {
      Next();
    }
    return *type;
  }

  bool AtEnd() const { return Peek().kind == TokenKind::kEnd; }

  // PARTITIONED BY, which no column definition can start with (BY is no type).
  bool AtPartitionedBy() const {
    return IsKeyword("PARTITIONED") && idx_ + 1 < tokens_.size() && tokens_[idx_ + 1].kind == TokenKind::kIdent &&
           AsciiUpper(tokens_[idx_ + 1].text) == "BY";
  }

  Status ParsePartitionedBy(std::vector<std::string>* keys) {
    const size_t pos = Peek().pos;
    if (keys == nullptr) {
      return ErrorAt(pos, "PARTITIONED BY belongs to a table, not a schema (ParseTableSchema takes it)");
    }
    Next();
    Next();
    FLUSS_RETURN_NOT_OK(Expect(TokenKind::kLParen, "'('"));
    while (true) {
      const size_t key_pos = Peek().pos;
      FLUSS_ASSIGN_OR_RETURN(std::string name, ParseIdentifier("a partition-key column name"));
      for (const auto& k : *keys) {
        if (k == name) return ErrorAt(key_pos, fmt::format("partition key '{}' is given twice", name));
      }
      keys->push_back(std::move(name));
      if (Peek().kind == TokenKind::kComma) {
        Next();
        continue;
      }
      FLUSS_RETURN_NOT_OK(Expect(TokenKind::kRParen, "',' or ')'"));
      break;
    }
    partition_pos_ = pos;
    return Status::OK();
  }

  size_t partition_pos() const { return partition_pos_; }
  Status ExpectEnd() { return AtEnd() ? Status::OK() : Expected("the end of the input"); }

 private:
  const Token& Peek() const { return tokens_[idx_]; }
  const Token& Next() { return tokens_[idx_ < tokens_.size() - 1 ? idx_++ : idx_]; }

  bool IsKeyword(std::string_view kw) const {
    return Peek().kind == TokenKind::kIdent && AsciiUpper(Peek().text) == kw;
  }

  Status ErrorAt(size_t pos, const std::string& msg) const {
    return Status(ErrorCode::kInvalidConfig, fmt::format("schema: at column {}: {}", pos + 1, msg));
  }

  Status Expected(const std::string& what) const {
    const Token& t = Peek();
    std::string found;
    switch (t.kind) {
      case TokenKind::kEnd: found = "the end of the input"; break;
      case TokenKind::kString: found = "'" + t.text + "' (a string)"; break;
      default: found = "'" + t.text + "'"; break;
    }
    return ErrorAt(t.pos, fmt::format("expected {}, found {}", what, found));
  }

  Status Expect(TokenKind kind, const std::string& what) {
    if (Peek().kind != kind) return Expected(what);
    Next();
    return Status::OK();
  }

  Status ExpectKeyword(std::string_view kw) {
    if (!IsKeyword(kw)) return Expected(std::string(kw));
    Next();
    return Status::OK();
  }

  Status ExpectKeywords(std::initializer_list<std::string_view> kws) {
    for (auto kw : kws) FLUSS_RETURN_NOT_OK(ExpectKeyword(kw));
    return Status::OK();
  }

  Result<std::string> ParseIdentifier(const std::string& what) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kIdent || t.kind == TokenKind::kQuotedIdent) {
      if (t.kind == TokenKind::kQuotedIdent && t.text.empty()) return ErrorAt(t.pos, "empty quoted identifier");
      return Next().text;
    }
    return Expected(what);
  }

  Result<int> ParseInt(const std::string& what) {
    const Token& t = Peek();
    if (t.kind != TokenKind::kNumber) return Expected(what);
    int v = 0;
    auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc() || ptr != t.text.data() + t.text.size()) {
      return ErrorAt(t.pos, fmt::format("{} '{}' is too large", what, t.text));
    }
    Next();
    return v;
  }

  Result<int> ParseOptionalPrecision(int fallback) {
    if (Peek().kind != TokenKind::kLParen) return fallback;
    Next();
    FLUSS_ASSIGN_OR_RETURN(int p, ParseInt("a precision"));
    FLUSS_RETURN_NOT_OK(Expect(TokenKind::kRParen, "')'"));
    return p;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t idx_ = 0;
  size_t partition_pos_ = 0;
};

}  // namespace

Result<Schema> ParseSchema(std::string_view text) {
  Parser p(text);
  FLUSS_RETURN_NOT_OK(p.Tokenize());
  return p.ParseSchemaBody(nullptr);
}

Result<TableSchema> ParseTableSchema(std::string_view text) {
  Parser p(text);
  FLUSS_RETURN_NOT_OK(p.Tokenize());
  TableSchema out;
  FLUSS_ASSIGN_OR_RETURN(out.schema, p.ParseSchemaBody(&out.partition_keys));
  for (const auto& k : out.partition_keys) {
    if (!out.schema.IndexOf(k)) {
      return Status(ErrorCode::kInvalidConfig, fmt::format("schema: at column {}: partition key '{}' is not a column "
                                                           "of the schema",
                                                           p.partition_pos() + 1, k));
    }
  }
  return out;
}

Result<DataType> ParseDataType(std::string_view text) {
  Parser p(text);
  FLUSS_RETURN_NOT_OK(p.Tokenize());
  FLUSS_ASSIGN_OR_RETURN(DataType t, p.ParseType());
  FLUSS_RETURN_NOT_OK(p.ExpectEnd());
  return t;
}

}  // namespace fluss
