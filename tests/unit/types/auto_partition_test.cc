#include "types/auto_partition.h"

#include <gtest/gtest.h>

#include "support/status_macros.h"
#include "types/schema_parser.h"

namespace fluss {
namespace {

int64_t Ms(int64_t year, int month, int day, int hour = 0, int minute = 0) {
  return SecondsFromCivil(CivilTime{year, month, day, hour, minute, 0}) * 1000;
}

AutoPartitionStrategy Strategy(AutoPartitionTimeUnit unit, std::string format = "") {
  AutoPartitionStrategy s;
  s.enabled = true;
  s.time_unit = unit;
  s.time_format = std::move(format);
  return s;
}

std::vector<std::string> Times(const AutoPartitionStrategy& s, const TimeZone& zone, int64_t now_ms,
                               std::vector<int> offsets) {
  auto format = s.Format();
  EXPECT_OK(format);
  std::vector<std::string> out;
  for (int o : offsets) out.push_back(AutoPartitionTime(s, *format, zone, now_ms, o));
  return out;
}

// Upstream's PartitionUtilsTest.testGenerateAutoPartitionName: 2024-11-11 11:11 in UTC-8.
TEST(AutoPartitionTimeTest, UpstreamExamples) {
  auto zone = TimeZone::Load("UTC-8");
  ASSERT_OK(zone);
  const int64_t now = Ms(2024, 11, 11, 19, 11);  // 11:11 at UTC-8
  using U = AutoPartitionTimeUnit;
  EXPECT_EQ(Times(Strategy(U::kYear), *zone, now, {-1, 0, 1, 2, 3}),
            (std::vector<std::string>{"2023", "2024", "2025", "2026", "2027"}));
  EXPECT_EQ(Times(Strategy(U::kQuarter), *zone, now, {-1, 0, 1, 2, 3}),
            (std::vector<std::string>{"20243", "20244", "20251", "20252", "20253"}));
  EXPECT_EQ(Times(Strategy(U::kMonth), *zone, now, {-1, 0, 1, 2, 3}),
            (std::vector<std::string>{"202410", "202411", "202412", "202501", "202502"}));
  EXPECT_EQ(Times(Strategy(U::kDay), *zone, now, {-1, 0, 1, 2, 3, 20}),
            (std::vector<std::string>{"20241110", "20241111", "20241112", "20241113", "20241114", "20241201"}));
  EXPECT_EQ(Times(Strategy(U::kDay, "yyyy-MM-dd"), *zone, now, {-1, 0, 1, 2, 3, 20}),
            (std::vector<std::string>{"2024-11-10", "2024-11-11", "2024-11-12", "2024-11-13", "2024-11-14",
                                      "2024-12-01"}));
  EXPECT_EQ(Times(Strategy(U::kHour), *zone, now, {-2, -1, 0, 1, 2, 3, 13}),
            (std::vector<std::string>{"2024111109", "2024111110", "2024111111", "2024111112", "2024111113",
                                      "2024111114", "2024111200"}));
}

TEST(AutoPartitionTimeTest, TheZoneDecidesTheDay) {
  const int64_t now = Ms(2024, 11, 11, 20, 0);  // 04:00 the next day in Shanghai
  auto shanghai = TimeZone::Load("Asia/Shanghai");
  ASSERT_OK(shanghai);
  EXPECT_EQ(Times(Strategy(AutoPartitionTimeUnit::kDay), *shanghai, now, {0}), std::vector<std::string>{"20241112"});
  EXPECT_EQ(Times(Strategy(AutoPartitionTimeUnit::kDay), TimeZone::Utc(), now, {0}),
            std::vector<std::string>{"20241111"});
}

// Upstream's PartitionUtilsTest.testValidateCustomTimeFormat, message for message.
TEST(AutoPartitionTimeFormatTest, CustomFormatsAsUpstreamChecksThem) {
  using U = AutoPartitionTimeUnit;
  const std::pair<U, const char*> valid[] = {
      {U::kYear, "yyyy"}, {U::kQuarter, "yyyy-'Q'Q"}, {U::kMonth, "yyyy-MM"}, {U::kDay, "yyyy-MM-dd"},
      {U::kHour, "yyyy-MM-dd-HH"}};
  for (const auto& [unit, pattern] : valid) EXPECT_OK(AutoPartitionTimeFormat::Make(pattern, unit));
  auto message = [](std::string_view pattern, U unit) { return AutoPartitionTimeFormat::Make(pattern, unit).status().message(); };
  EXPECT_EQ(message("MM-yyyy", U::kMonth),
            "Time format 'MM-yyyy' must contain fields [year, month] in this order for time unit 'MONTH', but found "
            "[month, year].");
  EXPECT_EQ(message("yyyy-MM-dd", U::kHour),
            "Time format 'yyyy-MM-dd' must contain fields [year, month, day, hour] in this order for time unit "
            "'HOUR', but found [year, month, day].");
  EXPECT_EQ(message("yyyy-M-dd", U::kDay), "Time field 'month' in format 'yyyy-M-dd' must have fixed width 2, but found 1.");
  EXPECT_EQ(message("yyyy[-MM[-dd]]", U::kDay),
            "Time format 'yyyy[-MM[-dd]]' must not contain optional sections ('[' or ']').");
  EXPECT_EQ(message("yyyy/MM/dd", U::kDay),
            "Time format 'yyyy/MM/dd' generates invalid partition value '2024/11/11': '2024/11/11' contains one or "
            "more characters other than ASCII alphanumerics, '_' and '-'.");
  EXPECT_EQ(message("__yyyy", U::kYear),
            "Time format '__yyyy' generates invalid partition value '__2024': '__' is not allowed as prefix, since it "
            "is reserved for internal databases/internal tables/internal partitions in Fluss server.");
  const std::string overlong = "yyyy" + std::string(197, '_');
  EXPECT_NE(message(overlong, U::kYear).find("longer than the max allowed length 200"), std::string::npos);
  EXPECT_EQ(message("yyyyMMddHHmm", U::kHour), "Time format 'yyyyMMddHHmm' contains unsupported time field 'm'.");
  auto quarter = AutoPartitionTimeFormat::Make("yyyy-'Q'Q", U::kQuarter);
  ASSERT_OK(quarter);
  EXPECT_EQ(quarter->Format(CivilTime{2024, 11, 11, 0, 0, 0}), "2024-Q4");
  EXPECT_TRUE(quarter->Matches("2024-Q4"));
  EXPECT_FALSE(quarter->Matches("2024-Q5"));
}

TEST(AutoPartitionTimeFormatTest, MatchesOnlyTimesOfThePattern) {
  auto day = AutoPartitionTimeFormat::Default(AutoPartitionTimeUnit::kDay);
  EXPECT_TRUE(day.Matches("20241111"));
  EXPECT_FALSE(day.Matches("2024111"));
  EXPECT_FALSE(day.Matches("202411111"));
  EXPECT_FALSE(day.Matches("20241311"));
  EXPECT_FALSE(day.Matches("20241100"));
  EXPECT_FALSE(day.Matches("2024-11-11"));
  EXPECT_FALSE(day.Matches("abcd1111"));
  auto hour = AutoPartitionTimeFormat::Default(AutoPartitionTimeUnit::kHour);
  EXPECT_TRUE(hour.Matches("2024111123"));
  EXPECT_FALSE(hour.Matches("2024111124"));
}

TEST(AutoPartitionPlanTest, DropsWhatRetentionNoLongerKeepsAndPrecreatesTheNext) {
  AutoPartitionStrategy s = Strategy(AutoPartitionTimeUnit::kDay);
  s.num_retention = 2;
  s.num_precreate = 2;
  const auto format = AutoPartitionTimeFormat::Default(AutoPartitionTimeUnit::kDay);
  const int64_t now = Ms(2025, 5, 8, 12);
  auto plan = PlanAutoPartitions(s, format, TimeZone::Utc(), {"dt"}, {"20250505", "20250506", "20250507", "20250508"},
                                 now, now);
  EXPECT_EQ(plan.to_drop, std::vector<std::string>{"20250505"});
  EXPECT_EQ(plan.to_create, std::vector<std::string>{"20250509"});
  s.num_retention = -1;  // keep everything
  plan = PlanAutoPartitions(s, format, TimeZone::Utc(), {"dt"}, {"20200101"}, now, now);
  EXPECT_TRUE(plan.to_drop.empty());
  EXPECT_EQ(plan.to_create, (std::vector<std::string>{"20250508", "20250509"}));
}

TEST(AutoPartitionPlanTest, MultiKeyTablesExpireByTheTimeKeyAndPrecreateNothing) {
  // Upstream's example: keys (a, dt, b), dt the time key, retention 2 on 2025-05-08.
  AutoPartitionStrategy s = Strategy(AutoPartitionTimeUnit::kDay);
  s.key = "dt";
  s.num_retention = 2;
  s.num_precreate = 0;
  const auto format = AutoPartitionTimeFormat::Default(AutoPartitionTimeUnit::kDay);
  const int64_t now = Ms(2025, 5, 8);
  auto plan = PlanAutoPartitions(s, format, TimeZone::Utc(), {"a", "dt", "b"},
                                 {"1$20250505$1", "1$20250506$1", "1$20250507$1", "2$20250505$1", "2$20250506$1",
                                  "2$20250507$1"},
                                 now, now);
  EXPECT_EQ(plan.to_drop, (std::vector<std::string>{"1$20250505$1", "2$20250505$1"}));
  EXPECT_TRUE(plan.to_create.empty());
}

TEST(AutoPartitionPlanTest, TheSystemPartitionIsNeverExpired) {
  AutoPartitionStrategy s = Strategy(AutoPartitionTimeUnit::kDay);
  s.num_retention = 0;
  s.num_precreate = 1;
  const auto format = AutoPartitionTimeFormat::Default(AutoPartitionTimeUnit::kDay);
  const int64_t now = Ms(2025, 5, 8);
  auto plan = PlanAutoPartitions(s, format, TimeZone::Utc(), {"dt"}, {"__historical__", "20250507"}, now, now);
  EXPECT_EQ(plan.to_drop, std::vector<std::string>{"20250507"});
  EXPECT_EQ(plan.to_create, std::vector<std::string>{"20250508"});
}

TEST(AutoPartitionPlanTest, HourlyPartitionsAcrossADaylightSavingChange) {
  // Europe/Berlin leaves summer time at 2024-10-27 01:00Z: the local hour 02 comes twice, and the
  // partition names follow the local clock as upstream's ZonedDateTime.plusHours does.
  auto berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_OK(berlin);
  AutoPartitionStrategy s = Strategy(AutoPartitionTimeUnit::kHour);
  EXPECT_EQ(Times(s, *berlin, Ms(2024, 10, 27, 0, 30), {0, 1, 2}),
            (std::vector<std::string>{"2024102702", "2024102702", "2024102703"}));
}

TEST(AutoPartitionValidationTest, CreatePartitionTimesMustMatchAndBeRetained) {
  AutoPartitionStrategy s = Strategy(AutoPartitionTimeUnit::kDay, "yyyy-MM-dd");
  s.time_zone = "UTC";
  const int64_t now = Ms(2024, 1, 10, 12);
  auto spec = [](std::string v) { return ResolvedPartitionSpec({"dt"}, {std::move(v)}); };
  EXPECT_OK(ValidateAutoPartitionTime(s, {"dt"}, spec("2024-01-10"), now));
  EXPECT_OK(ValidateAutoPartitionTime(s, {"dt"}, spec("2024-01-03"), now));  // 7 days kept
  Status wrong = ValidateAutoPartitionTime(s, {"dt"}, spec("20240110"), now);
  EXPECT_EQ(wrong.code(), ErrorCode::kPartitionSpecInvalid);
  EXPECT_EQ(wrong.message(),
            "Partition value '20240110' does not match the expected format 'yyyy-MM-dd' for auto-partition time unit "
            "'DAY'.");
  Status old = ValidateAutoPartitionTime(s, {"dt"}, spec("2024-01-02"), now);
  EXPECT_EQ(old.message(), "Partition value '2024-01-02' is out-of-date. The earliest retained partition is "
                           "'2024-01-03'.");
  // Off: a custom format is still checked, but nothing is out of date.
  s.enabled = false;
  EXPECT_OK(ValidateAutoPartitionTime(s, {"dt"}, spec("2000-01-01"), now));
  EXPECT_FALSE(ValidateAutoPartitionTime(s, {"dt"}, spec("20000101"), now).ok());
  s.time_format.clear();
  EXPECT_OK(ValidateAutoPartitionTime(s, {"dt"}, spec("anything"), now));
}

TableDescriptor Partitioned(const std::string& dsl, std::vector<std::string> keys,
                            std::map<std::string, std::string> props) {
  TableDescriptor d(*ParseSchema(dsl));
  d.PartitionedBy(std::move(keys));
  for (auto& [k, v] : props) d.Property(k, v);
  return d;
}

TEST(AutoPartitionValidationTest, TableOptionsAsUpstreamChecksThem) {
  EXPECT_OK(CheckAutoPartitionOptions(
      Partitioned("v INT, dt STRING", {"dt"}, {{"table.auto-partition.enabled", "true"},
                                               {"table.auto-partition.time-unit", "hour"}})));
  Status unpartitioned =
      CheckAutoPartitionOptions(Partitioned("v INT, dt STRING", {}, {{"table.auto-partition.enabled", "true"}}));
  EXPECT_EQ(unpartitioned.code(), ErrorCode::kInvalidConfig);
  Status no_key = CheckAutoPartitionOptions(
      Partitioned("v INT, a STRING, dt STRING", {"a", "dt"}, {{"table.auto-partition.enabled", "true"}}));
  EXPECT_EQ(no_key.code(), ErrorCode::kInvalidTable);
  EXPECT_NE(no_key.message().find("'table.auto-partition.key'"), std::string::npos);
  Status precreate = CheckAutoPartitionOptions(Partitioned(
      "v INT, a STRING, dt STRING", {"a", "dt"},
      {{"table.auto-partition.enabled", "true"}, {"table.auto-partition.key", "dt"},
       {"table.auto-partition.num-precreate", "2"}}));
  EXPECT_EQ(precreate.message(), "For a partitioned table with multiple partition keys, auto pre-create is "
                                 "unsupported and this value must be set to 0, but is 2");
  EXPECT_OK(CheckAutoPartitionOptions(Partitioned(
      "v INT, a STRING, dt STRING", {"a", "dt"},
      {{"table.auto-partition.enabled", "true"}, {"table.auto-partition.key", "dt"},
       {"table.auto-partition.num-precreate", "0"}})));
  Status not_a_key = CheckAutoPartitionOptions(Partitioned(
      "v INT, dt STRING", {"dt"}, {{"table.auto-partition.enabled", "true"}, {"table.auto-partition.key", "v"}}));
  EXPECT_EQ(not_a_key.message(), "The specified key for auto partitioned table is not a partition key. Your key 'v' "
                                 "is not in key list [dt]");
  Status date_unit = CheckAutoPartitionOptions(Partitioned(
      "v INT, dt DATE", {"dt"}, {{"table.auto-partition.enabled", "true"}, {"table.auto-partition.time-unit", "MONTH"}}));
  EXPECT_EQ(date_unit.message(),
            "Table property 'table.auto-partition.time-unit' must be 'DAY' when auto partition key 'dt' has DATE type.");
  Status date_format = CheckAutoPartitionOptions(
      Partitioned("v INT, dt DATE", {"dt"}, {{"table.auto-partition.enabled", "true"}}));
  EXPECT_EQ(date_format.message(), "Table property 'table.auto-partition.time-format' must be 'yyyy-MM-dd' when auto "
                                   "partition key 'dt' has DATE type.");
  EXPECT_OK(CheckAutoPartitionOptions(Partitioned(
      "v INT, dt DATE", {"dt"},
      {{"table.auto-partition.enabled", "true"}, {"table.auto-partition.time-format", "yyyy-MM-dd"}})));
  Status format = CheckAutoPartitionOptions(Partitioned(
      "v INT, dt STRING", {"dt"}, {{"table.auto-partition.time-format", "MM-yyyy"}}));
  EXPECT_EQ(format.code(), ErrorCode::kInvalidTable);
  EXPECT_EQ(format.message(), "Invalid table property 'table.auto-partition.time-format': Time format 'MM-yyyy' "
                              "must contain fields [year, month, day] in this order for time unit 'DAY', but found "
                              "[month, year].");
  Status zone = CheckAutoPartitionOptions(
      Partitioned("v INT, dt STRING", {"dt"}, {{"table.auto-partition.time-zone", "Mars/Base"}}));
  EXPECT_EQ(zone.code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(zone.message(), "table property 'table.auto-partition.time-zone': unknown time zone 'Mars/Base' (an IANA "
                            "name such as Asia/Shanghai, UTC, or an offset such as +08:00)");
}

}  // namespace
}  // namespace fluss
