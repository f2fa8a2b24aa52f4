#include <gtest/gtest.h>

#include "kv/row_merger.h"
#include "types/schema_parser.h"

namespace fluss {
namespace {

Schema S(const char* dsl) { return ParseSchema(dsl).value(); }
GenericRow R(std::vector<Datum> v) { return GenericRow(std::move(v)); }

TEST(RowMergerTest, DefaultLastWriteWinsAndDeletes) {
  auto m = RowMerger::Create(S("id INT, v STRING, PRIMARY KEY (id)"), {}).value();
  EXPECT_EQ(m->name(), "default");
  EXPECT_EQ(m->delete_behavior(), DeleteBehavior::kAllow);
  GenericRow old = R({Datum(1), Datum(std::string("a"))});
  EXPECT_EQ(m->Merge(&old, R({Datum(1), Datum(std::string("b"))})).value(), R({Datum(1), Datum(std::string("b"))}));
  EXPECT_EQ(m->Merge(nullptr, old).value(), old);
  EXPECT_FALSE(m->Delete(old).value().has_value());
}

TEST(RowMergerTest, PartialUpdateKeepsOtherColumnsAndPartialDeleteNullsTargets) {
  Schema s = S("id INT, a STRING, b INT, PRIMARY KEY (id)");
  auto m = RowMerger::Create(s, {}, std::vector<size_t>{0, 2}).value();
  GenericRow old = R({Datum(1), Datum(std::string("keep")), Datum(5)});
  EXPECT_EQ(m->Merge(&old, R({Datum(1), Datum(), Datum(9)})).value(), R({Datum(1), Datum(std::string("keep")), Datum(9)}));
  EXPECT_EQ(m->Merge(nullptr, R({Datum(2), Datum(std::string("ignored")), Datum(3)})).value(), R({Datum(2), Datum(), Datum(3)}));
  // Partial delete: b becomes NULL; a is still set, so the row stays.
  auto d = m->Delete(old).value();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, R({Datum(1), Datum(std::string("keep")), Datum()}));
  // ... and goes when nothing else is left.
  GenericRow only_b = R({Datum(1), Datum(), Datum(5)});
  EXPECT_FALSE(m->Delete(only_b).value().has_value());
}

TEST(RowMergerTest, PartialUpdateMustNameTheKey) {
  auto m = RowMerger::Create(S("id INT, a STRING, PRIMARY KEY (id)"), {}, std::vector<size_t>{1});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_NE(m.status().message().find("'id'"), std::string::npos);
  auto missing = RowMerger::Create(S("id INT, a STRING, PRIMARY KEY (id)"), {}, std::vector<size_t>{0, 7});
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidTargetColumn);
}

TEST(RowMergerTest, PartialUpdateOfANewKeyCannotLeaveNotNullColumnsNull) {
  auto m = RowMerger::Create(S("id INT, a STRING NOT NULL, b INT, PRIMARY KEY (id)"), {}, std::vector<size_t>{0, 2}).value();
  auto r = m->Merge(nullptr, R({Datum(1), Datum(), Datum(2)}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'a'"), std::string::npos);
}

TEST(RowMergerTest, FirstRowKeepsTheFirstAndIgnoresDeletes) {
  auto m = RowMerger::Create(S("id INT, v INT, PRIMARY KEY (id)"), {{"table.merge-engine", "first_row"}}).value();
  EXPECT_EQ(m->delete_behavior(), DeleteBehavior::kIgnore);
  GenericRow first = R({Datum(1), Datum(10)});
  EXPECT_EQ(m->Merge(&first, R({Datum(1), Datum(20)})).value(), first);
  EXPECT_FALSE(RowMerger::Create(S("id INT, v INT, PRIMARY KEY (id)"),
                                 {{"table.merge-engine", "first_row"}, {"table.delete.behavior", "allow"}}).ok());
  EXPECT_FALSE(RowMerger::Create(S("id INT, v INT, PRIMARY KEY (id)"), {{"table.merge-engine", "first_row"}},
                                 std::vector<size_t>{0}).ok());
}

TEST(RowMergerTest, VersionedKeepsTheLargerVersion) {
  std::map<std::string, std::string> p{{"table.merge-engine", "versioned"},
                                       {"table.merge-engine.versioned.ver-column", "ver"}};
  auto m = RowMerger::Create(S("id INT, ver BIGINT, v STRING, PRIMARY KEY (id)"), p).value();
  GenericRow v5 = R({Datum(1), Datum(int64_t{5}), Datum(std::string("five"))});
  GenericRow v3 = R({Datum(1), Datum(int64_t{3}), Datum(std::string("three"))});
  GenericRow v7 = R({Datum(1), Datum(int64_t{7}), Datum(std::string("seven"))});
  GenericRow v5b = R({Datum(1), Datum(int64_t{5}), Datum(std::string("five again"))});
  EXPECT_EQ(m->Merge(&v5, v3).value(), v5);
  EXPECT_EQ(m->Merge(&v5, v7).value(), v7);
  EXPECT_EQ(m->Merge(&v5, v5b).value(), v5b);  // a tie: the written row
  auto null_ver = m->Merge(&v5, R({Datum(1), Datum(), Datum(std::string("x"))}));
  ASSERT_FALSE(null_ver.ok());
  EXPECT_NE(null_ver.status().message().find("'ver'"), std::string::npos);
  EXPECT_FALSE(RowMerger::Create(S("id INT, ver STRING, PRIMARY KEY (id)"), p).ok());
  EXPECT_FALSE(RowMerger::Create(S("id INT, v INT, PRIMARY KEY (id)"), {{"table.merge-engine", "versioned"}}).ok());
}

TEST(RowMergerTest, AggregationFunctions) {
  std::map<std::string, std::string> p{{"table.merge-engine", "aggregation"},
                                       {"fields.total.agg", "sum"},
                                       {"fields.lo.agg", "min"},
                                       {"fields.hi.agg", "max"},
                                       {"fields.n.agg", "count"},
                                       {"fields.first.agg", "first_value"},
                                       {"fields.all.agg", "bool_and"},
                                       {"fields.any.agg", "bool_or"},
                                       {"fields.tags.agg", "listagg"},
                                       {"fields.tags.listagg.delimiter", "|"}};
  Schema s = S("id INT, total BIGINT, lo DOUBLE, hi STRING, n BIGINT, first STRING, all BOOLEAN, any BOOLEAN, "
               "tags STRING, last STRING, PRIMARY KEY (id)");
  auto m = RowMerger::Create(s, p).value();
  auto row = [](int64_t total, double lo, const char* hi, const char* first, bool all, bool any, const char* tag,
                Datum last) {
    return R({Datum(1), Datum(total), Datum(lo), Datum(std::string(hi)), Datum(std::string("x")), Datum(std::string(first)),
              Datum(all), Datum(any), Datum(std::string(tag)), std::move(last)});
  };
  GenericRow acc = m->Merge(nullptr, row(10, 2.5, "b", "one", true, false, "t1", Datum(std::string("L1")))).value();
  EXPECT_EQ(acc.GetBigInt(4), 1);  // count of the first row
  acc = m->Merge(&acc, row(5, 1.5, "a", "two", false, false, "t2", Datum())).value();
  acc = m->Merge(&acc, row(-3, 9.0, "c", "three", true, true, "t3", Datum(std::string("L3")))).value();
  EXPECT_EQ(acc.GetBigInt(1), 12);
  EXPECT_DOUBLE_EQ(acc.GetDouble(2), 1.5);
  EXPECT_EQ(acc.GetString(3), "c");
  EXPECT_EQ(acc.GetBigInt(4), 3);
  EXPECT_EQ(acc.GetString(5), "one");
  EXPECT_FALSE(acc.GetBoolean(6));
  EXPECT_TRUE(acc.GetBoolean(7));
  EXPECT_EQ(acc.GetString(8), "t1|t2|t3");
  EXPECT_EQ(acc.GetString(9), "L3");  // default: last non-null value
  EXPECT_EQ(m->delete_behavior(), DeleteBehavior::kIgnore);
}

TEST(RowMergerTest, AggregationConfigErrorsNameTheColumn) {
  Schema s = S("id INT, v STRING, PRIMARY KEY (id)");
  auto bad_fn = RowMerger::Create(s, {{"table.merge-engine", "aggregation"}, {"fields.v.agg", "median"}});
  ASSERT_FALSE(bad_fn.ok());
  EXPECT_NE(bad_fn.status().message().find("median"), std::string::npos);
  auto unfit = RowMerger::Create(s, {{"table.merge-engine", "aggregation"}, {"fields.v.agg", "sum"}});
  ASSERT_FALSE(unfit.ok());
  EXPECT_NE(unfit.status().message().find("'v'"), std::string::npos);
  auto no_col = RowMerger::Create(s, {{"table.merge-engine", "aggregation"}, {"fields.w.agg", "sum"}});
  EXPECT_FALSE(no_col.ok());
  EXPECT_FALSE(RowMerger::Create(s, {{"table.merge-engine", "newest"}}).ok());
}

TEST(RowMergerTest, SumOverflowIsAnError) {
  auto m = RowMerger::Create(S("id INT, v TINYINT, PRIMARY KEY (id)"),
                             {{"table.merge-engine", "aggregation"}, {"fields.v.agg", "sum"}}).value();
  GenericRow old = R({Datum(1), Datum(int8_t{100})});
  EXPECT_FALSE(m->Merge(&old, R({Datum(1), Datum(int8_t{100})})).ok());
}

}  // namespace
}  // namespace fluss
