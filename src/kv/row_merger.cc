#include "kv/row_merger.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/ascii.h"

namespace fluss {

namespace {


std::string Prop(const std::map<std::string, std::string>& p, const std::string& key, std::string fallback = "") {
  auto it = p.find(key);
  return it == p.end() ? fallback : it->second;
}

bool IsNumeric(TypeRoot r) {
  switch (r) {
    case TypeRoot::kTinyInt: case TypeRoot::kSmallInt: case TypeRoot::kInt: case TypeRoot::kBigInt:
    case TypeRoot::kFloat: case TypeRoot::kDouble: case TypeRoot::kDecimal:
      return true;
    default:
      return false;
  }
}

bool IsOrdered(TypeRoot r) {
  switch (r) {
    case TypeRoot::kBoolean: case TypeRoot::kBinary: case TypeRoot::kBytes:
      return false;
    default:
      return true;
  }
}

// a < b for two non-null Datums of one type.
bool Less(const Datum& a, const Datum& b) {
  return std::visit(
      [&b](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, std::monostate>) {
          return false;
        } else if constexpr (std::is_same_v<T, DecimalValue>) {
          return x.unscaled < y.unscaled;
        } else if constexpr (std::is_same_v<T, TimestampValue>) {
          return x.millis != y.millis ? x.millis < y.millis : x.nanos_of_milli < y.nanos_of_milli;
        } else {
          return x < y;
        }
      },
      a);
}

// ---- default: last write wins, with partial update -------------------------------------------

class DefaultRowMerger final : public RowMerger {
 public:
  DefaultRowMerger(const Schema& schema, std::optional<std::vector<size_t>> targets, DeleteBehavior behavior)
      : schema_(schema), targets_(std::move(targets)) {
    delete_behavior_ = behavior;
    key_ = schema.primary_key_indexes();
  }
  std::string_view name() const override { return "default"; }

  Result<GenericRow> Merge(const GenericRow* old, const GenericRow& incoming) const override {
    if (!targets_) return incoming;
    GenericRow out = old ? *old : GenericRow(schema_.num_columns());
    for (size_t c : *targets_) out.SetField(c, incoming.field(c));
    if (!old) {
      // A new key written partially: the other columns are NULL, which NOT NULL columns refuse.
      for (size_t c = 0; c < schema_.num_columns(); ++c) {
        if (out.IsNullAt(c) && !schema_.column(c).type.nullable()) {
          return Status::Invalid(fmt::format("partial update of a new key leaves NOT NULL column '{}' NULL",
                                             schema_.column(c).name));
        }
      }
    }
    return out;
  }

  Result<std::optional<GenericRow>> Delete(const GenericRow& old) const override {
    if (!targets_) return std::optional<GenericRow>();
    // Partial delete: target non-key columns become NULL; the row goes when nothing else is left.
    GenericRow out = old;
    std::set<size_t> targeted(targets_->begin(), targets_->end());
    for (size_t c : *targets_) {
      if (std::find(key_.begin(), key_.end(), c) == key_.end()) out.SetNull(c);
    }
    bool others_null = true;
    for (size_t c = 0; c < schema_.num_columns(); ++c) {
      if (targeted.count(c) || std::find(key_.begin(), key_.end(), c) != key_.end()) continue;
      if (!out.IsNullAt(c)) others_null = false;
    }
    if (others_null) return std::optional<GenericRow>();
    return std::optional<GenericRow>(std::move(out));
  }

 private:
  Schema schema_;
  std::optional<std::vector<size_t>> targets_;
  std::vector<size_t> key_;
};

// ---- first_row ----------------------------------------------------------------------------------

class FirstRowMerger final : public RowMerger {
 public:
  explicit FirstRowMerger(DeleteBehavior behavior) { delete_behavior_ = behavior; }
  std::string_view name() const override { return "first_row"; }
  Result<GenericRow> Merge(const GenericRow* old, const GenericRow& incoming) const override {
    return old ? *old : incoming;
  }
  Result<std::optional<GenericRow>> Delete(const GenericRow&) const override { return std::optional<GenericRow>(); }
};

// ---- versioned ----------------------------------------------------------------------------------

class VersionedRowMerger final : public RowMerger {
 public:
  VersionedRowMerger(size_t column, std::string name, DeleteBehavior behavior) : column_(column), column_name_(std::move(name)) {
    delete_behavior_ = behavior;
  }
  std::string_view name() const override { return "versioned"; }
  Result<GenericRow> Merge(const GenericRow* old, const GenericRow& incoming) const override {
    if (incoming.IsNullAt(column_)) {
      return Status::Invalid(fmt::format("version column '{}' is NULL", column_name_));
    }
    if (!old || old->IsNullAt(column_)) return incoming;
    // Keep the written row when its version is not smaller.
    if (Less(incoming.field(column_), old->field(column_))) return *old;
    return incoming;
  }
  Result<std::optional<GenericRow>> Delete(const GenericRow&) const override { return std::optional<GenericRow>(); }

 private:
  size_t column_;
  std::string column_name_;
};

// ---- aggregation --------------------------------------------------------------------------------

enum class AggFn { kKey, kSum, kProduct, kMin, kMax, kCount, kLastValue, kLastNonNull, kFirstValue, kFirstNonNull,
                   kBoolAnd, kBoolOr, kListAgg };

Result<AggFn> ParseAggFn(const std::string& text, const Column& column) {
  const std::string f = AsciiLower(text);
  const TypeRoot r = column.type.root();
  auto unfit = [&](std::string_view need) {
    return Status::Invalid(fmt::format("aggregate function '{}' of column '{}' needs {} (the column is {})", f,
                                       column.name, need, column.type.ToString()));
  };
  if (f == "sum" || f == "product") {
    if (!IsNumeric(r)) return unfit("a numeric type");
    return f == "sum" ? AggFn::kSum : AggFn::kProduct;
  }
  if (f == "min" || f == "max") {
    if (!IsOrdered(r)) return unfit("an ordered type");
    return f == "min" ? AggFn::kMin : AggFn::kMax;
  }
  if (f == "count") {
    if (r != TypeRoot::kInt && r != TypeRoot::kBigInt) return unfit("INT or BIGINT");
    return AggFn::kCount;
  }
  if (f == "last_value") return AggFn::kLastValue;
  if (f == "last_value_ignore_nulls" || f == "last_non_null_value") return AggFn::kLastNonNull;
  if (f == "first_value") return AggFn::kFirstValue;
  if (f == "first_value_ignore_nulls" || f == "first_non_null_value") return AggFn::kFirstNonNull;
  if (f == "bool_and" || f == "bool_or") {
    if (r != TypeRoot::kBoolean) return unfit("BOOLEAN");
    return f == "bool_and" ? AggFn::kBoolAnd : AggFn::kBoolOr;
  }
  if (f == "listagg" || f == "string_agg") {
    if (r != TypeRoot::kString && r != TypeRoot::kChar) return unfit("STRING");
    return AggFn::kListAgg;
  }
  return Status::Invalid(fmt::format("unknown aggregate function '{}' for column '{}'", text, column.name));
}

template <typename T>
Result<Datum> Arith(const T& a, const T& b, bool product, const Column& col) {
  if constexpr (std::is_integral_v<T>) {
    T out;
    const bool overflow = product ? __builtin_mul_overflow(a, b, &out) : __builtin_add_overflow(a, b, &out);
    if (overflow) return Status::Invalid(fmt::format("{} of column '{}' overflows {}", product ? "product" : "sum",
                                                     col.name, col.type.ToString()));
    return Datum(out);
  } else {
    return Datum(product ? a * b : a + b);
  }
}

Result<Datum> SumOrProduct(const Datum& a, const Datum& b, bool product, const Column& col) {
  switch (col.type.root()) {
    case TypeRoot::kTinyInt: return Arith(std::get<int8_t>(a), std::get<int8_t>(b), product, col);
    case TypeRoot::kSmallInt: return Arith(std::get<int16_t>(a), std::get<int16_t>(b), product, col);
    case TypeRoot::kInt: return Arith(std::get<int32_t>(a), std::get<int32_t>(b), product, col);
    case TypeRoot::kBigInt: return Arith(std::get<int64_t>(a), std::get<int64_t>(b), product, col);
    case TypeRoot::kFloat: return Arith(std::get<float>(a), std::get<float>(b), product, col);
    case TypeRoot::kDouble: return Arith(std::get<double>(a), std::get<double>(b), product, col);
    case TypeRoot::kDecimal: {
      if (product) return Status::NotSupported(fmt::format("product of DECIMAL column '{}'", col.name));
      DecimalValue out{std::get<DecimalValue>(a).unscaled + std::get<DecimalValue>(b).unscaled};
      FLUSS_RETURN_NOT_OK(ValidateDatum(Datum(out), col.type, col.name));
      return Datum(out);
    }
    default:
      return Status::Internal("sum of a non-numeric column");
  }
}

class AggregationRowMerger final : public RowMerger {
 public:
  AggregationRowMerger(const Schema& schema, std::vector<AggFn> fns, std::vector<std::string> delimiters,
                       std::optional<std::vector<size_t>> targets, DeleteBehavior behavior)
      : schema_(schema), fns_(std::move(fns)), delimiters_(std::move(delimiters)), targets_(std::move(targets)) {
    delete_behavior_ = behavior;
  }
  std::string_view name() const override { return "aggregation"; }

  Result<GenericRow> Merge(const GenericRow* old, const GenericRow& incoming) const override {
    if (!old) {
      GenericRow out = incoming;
      if (targets_) {
        GenericRow partial(schema_.num_columns());
        for (size_t c : *targets_) partial.SetField(c, incoming.field(c));
        out = std::move(partial);
      }
      for (size_t c = 0; c < fns_.size(); ++c) {
        // COUNT of the first row: 1 when it has a value.
        if (fns_[c] == AggFn::kCount && !out.IsNullAt(c)) out.SetField(c, One(c));
      }
      return out;
    }
    GenericRow out = *old;
    for (size_t c = 0; c < schema_.num_columns(); ++c) {
      if (targets_ && std::find(targets_->begin(), targets_->end(), c) == targets_->end()) continue;
      FLUSS_ASSIGN_OR_RETURN(Datum v, Aggregate(c, old->field(c), incoming.field(c)));
      out.SetField(c, std::move(v));
    }
    return out;
  }

  Result<std::optional<GenericRow>> Delete(const GenericRow& old) const override {
    if (!targets_) return std::optional<GenericRow>();
    GenericRow out = old;
    const auto key = schema_.primary_key_indexes();
    bool others_null = true;
    for (size_t c = 0; c < schema_.num_columns(); ++c) {
      const bool is_key = std::find(key.begin(), key.end(), c) != key.end();
      const bool targeted = std::find(targets_->begin(), targets_->end(), c) != targets_->end();
      if (targeted && !is_key) out.SetNull(c);
      if (!targeted && !is_key && !out.IsNullAt(c)) others_null = false;
    }
    if (others_null) return std::optional<GenericRow>();
    return std::optional<GenericRow>(std::move(out));
  }

 private:
  Datum One(size_t c) const {
    return schema_.column(c).type.root() == TypeRoot::kInt ? Datum(int32_t{1}) : Datum(int64_t{1});
  }

  Result<Datum> Aggregate(size_t c, const Datum& acc, const Datum& in) const {
    const bool acc_null = std::holds_alternative<std::monostate>(acc);
    const bool in_null = std::holds_alternative<std::monostate>(in);
    const Column& col = schema_.column(c);
    switch (fns_[c]) {
      case AggFn::kKey:
      case AggFn::kLastValue:
        return in;
      case AggFn::kLastNonNull:
        return in_null ? acc : in;
      case AggFn::kFirstValue:
        return acc;
      case AggFn::kFirstNonNull:
        return acc_null ? in : acc;
      case AggFn::kSum:
      case AggFn::kProduct:
        if (in_null) return acc;
        if (acc_null) return in;
        return SumOrProduct(acc, in, fns_[c] == AggFn::kProduct, col);
      case AggFn::kMin:
        if (in_null) return acc;
        if (acc_null) return in;
        return Less(in, acc) ? in : acc;
      case AggFn::kMax:
        if (in_null) return acc;
        if (acc_null) return in;
        return Less(acc, in) ? in : acc;
      case AggFn::kCount:
        if (in_null) return acc;
        if (acc_null) return One(c);
        return SumOrProduct(acc, One(c), /*product=*/false, col);
      case AggFn::kBoolAnd:
        if (in_null) return acc;
        if (acc_null) return in;
        return Datum(std::get<bool>(acc) && std::get<bool>(in));
      case AggFn::kBoolOr:
        if (in_null) return acc;
        if (acc_null) return in;
        return Datum(std::get<bool>(acc) || std::get<bool>(in));
      case AggFn::kListAgg:
        if (in_null) return acc;
        if (acc_null) return in;
        return Datum(std::get<std::string>(acc) + delimiters_[c] + std::get<std::string>(in));
    }
    return Status::Internal("unknown aggregate function");
  }

  Schema schema_;
  std::vector<AggFn> fns_;
  std::vector<std::string> delimiters_;
  std::optional<std::vector<size_t>> targets_;
};

}  // namespace

Result<DeleteBehavior> ParseDeleteBehavior(const std::map<std::string, std::string>& properties,
                                           std::string_view engine) {
  const std::string text = AsciiLower(Prop(properties, "table.delete.behavior"));
  if (text.empty()) return engine == "default" ? DeleteBehavior::kAllow : DeleteBehavior::kIgnore;
  if (text == "allow") return DeleteBehavior::kAllow;
  if (text == "ignore") return DeleteBehavior::kIgnore;
  if (text == "disable") return DeleteBehavior::kDisable;
  return Status::Invalid(fmt::format("table.delete.behavior '{}' is not allow, ignore or disable", text));
}

Result<std::unique_ptr<RowMerger>> RowMerger::Create(const Schema& schema,
                                                     const std::map<std::string, std::string>& properties,
                                                     std::optional<std::vector<size_t>> target_columns) {
  if (!schema.has_primary_key()) return Status::Invalid("a row merger needs a primary-key table");
  std::string engine = AsciiLower(Prop(properties, "table.merge-engine", "default"));
  if (engine.empty()) engine = "default";
  FLUSS_ASSIGN_OR_RETURN(DeleteBehavior behavior, ParseDeleteBehavior(properties, engine));
  if (target_columns) {
    const auto key = schema.primary_key_indexes();
    for (size_t k : key) {
      if (std::find(target_columns->begin(), target_columns->end(), k) == target_columns->end()) {
        return Status(ErrorCode::kInvalidTargetColumn,
                      fmt::format("partial update must include key column '{}'", schema.column(k).name));
      }
    }
    for (size_t c : *target_columns) {
      if (c >= schema.num_columns()) {
        return Status(ErrorCode::kInvalidTargetColumn, fmt::format("target column {} does not exist", c));
      }
    }
  }
  if (engine == "default") {
    return std::unique_ptr<RowMerger>(new DefaultRowMerger(schema, std::move(target_columns), behavior));
  }
  if (target_columns && engine != "aggregation") {
    return Status(ErrorCode::kInvalidTargetColumn,
                  fmt::format("merge engine '{}' does not support partial updates", engine));
  }
  if (engine == "first_row") {
    if (behavior == DeleteBehavior::kAllow) {
      return Status::Invalid("merge engine 'first_row' does not allow deletes (table.delete.behavior)");
    }
    return std::unique_ptr<RowMerger>(new FirstRowMerger(behavior));
  }
  if (engine == "versioned") {
    if (behavior == DeleteBehavior::kAllow) {
      return Status::Invalid("merge engine 'versioned' does not allow deletes (table.delete.behavior)");
    }
    const std::string ver = Prop(properties, "table.merge-engine.versioned.ver-column");
    if (ver.empty()) {
      return Status::Invalid("merge engine 'versioned' needs table.merge-engine.versioned.ver-column");
    }
    auto idx = schema.IndexOf(ver);
    if (!idx) return Status::Invalid(fmt::format("version column '{}' does not exist", ver));
    const TypeRoot r = schema.column(*idx).type.root();
    if (r != TypeRoot::kInt && r != TypeRoot::kBigInt && r != TypeRoot::kTimestamp && r != TypeRoot::kTimestampLtz) {
      return Status::Invalid(fmt::format("version column '{}' must be INT, BIGINT, TIMESTAMP or TIMESTAMP_LTZ, not {}",
                                         ver, schema.column(*idx).type.ToString()));
    }
    return std::unique_ptr<RowMerger>(new VersionedRowMerger(*idx, ver, behavior));
  }
  if (engine == "aggregation") {
    const auto key = schema.primary_key_indexes();
    std::vector<AggFn> fns(schema.num_columns(), AggFn::kLastNonNull);
    std::vector<std::string> delimiters(schema.num_columns(), ",");
    for (size_t c = 0; c < schema.num_columns(); ++c) {
      const Column& col = schema.column(c);
      if (std::find(key.begin(), key.end(), c) != key.end()) {
        fns[c] = AggFn::kKey;
        continue;
      }
      const std::string fn = Prop(properties, "fields." + col.name + ".agg");
      if (!fn.empty()) {
        FLUSS_ASSIGN_OR_RETURN(fns[c], ParseAggFn(fn, col));
      }
      delimiters[c] = Prop(properties, "fields." + col.name + ".listagg.delimiter", ",");
    }
    for (const auto& [k, v] : properties) {
      if (k.starts_with("fields.") && k.ends_with(".agg")) {
        const std::string name = k.substr(7, k.size() - 11);
        if (!schema.IndexOf(name)) return Status::Invalid(fmt::format("'{}' names no column of the table", k));
      }
    }
    return std::unique_ptr<RowMerger>(
        new AggregationRowMerger(schema, std::move(fns), std::move(delimiters), std::move(target_columns), behavior));
  }
  return Status::Invalid(fmt::format(
      "unknown table.merge-engine '{}' (default, first_row, versioned or aggregation)", engine));
}

}  // namespace fluss
