#include "common/time_zone.h"

#include <gtest/gtest.h>

#include "support/status_macros.h"

namespace fluss {
namespace {

TEST(CivilTimeTest, DaysAndSecondsRoundTrip) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2025, 5, 27), 20235);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2024, 2, 29) + 1, DaysFromCivil(2024, 3, 1));
  for (int64_t s : {int64_t{0}, int64_t{-1}, int64_t{1731294660}, int64_t{-1748662956}, int64_t{253402300799}}) {
    EXPECT_EQ(SecondsFromCivil(CivilFromSeconds(s)), s) << s;
  }
  EXPECT_EQ(CivilFromSeconds(1731294660), (CivilTime{2024, 11, 11, 3, 11, 0}));
  EXPECT_EQ(CivilFromSeconds(-1), (CivilTime{1969, 12, 31, 23, 59, 59}));
}

TEST(TimeZoneTest, FixedOffsetsAsJavaWritesThem) {
  struct Case {
    const char* name;
    int32_t offset;
  } cases[] = {{"UTC", 0},          {"GMT", 0},         {"Z", 0},          {"+08:00", 28800}, {"-0530", -19800},
               {"UTC+8", 28800},    {"GMT-05:30", -19800}, {"UTC+00", 0},  {"+18", 64800}};
  for (const Case& c : cases) {
    auto zone = TimeZone::Load(c.name);
    ASSERT_OK(zone);
    EXPECT_EQ(zone->OffsetAt(1731294660), c.offset) << c.name;
    EXPECT_EQ(zone->name(), c.name);
  }
}

TEST(TimeZoneTest, UnknownNamesAreErrorsNotUtc) {
  for (const char* name : {"Mars/Base", "UTC+19", "+8:00:00:00", "", "../etc/passwd", "Europe/../../etc/passwd",
                           "Europe//Berlin", "Asia/Shang hai"}) {
    auto zone = TimeZone::Load(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_EQ(zone.status().code(), ErrorCode::kInvalidConfig) << name;
  }
  EXPECT_EQ(TimeZone::Load("Mars/Base").status().message(),
            "unknown time zone 'Mars/Base' (an IANA name such as Asia/Shanghai, UTC, or an offset such as +08:00)");
}

// The system's time-zone database (Debian's tzdata, scripts/install-deps.sh): offsets around the
// transitions, as Python's zoneinfo gives them for the same instants.
TEST(TimeZoneTest, IanaZonesFollowTheirTransitions) {
  auto berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_OK(berlin);
  EXPECT_EQ(berlin->OffsetAt(1711846799), 3600);  // 2024-03-31T00:59:59Z
  EXPECT_EQ(berlin->OffsetAt(1711846800), 7200);  // summer time from 01:00Z
  // Beyond the file's transitions its POSIX rule decides.
  EXPECT_EQ(berlin->OffsetAt(2216249999), 3600);  // 2040-03-25T00:59:59Z
  EXPECT_EQ(berlin->OffsetAt(2216250000), 7200);
  EXPECT_EQ(berlin->OffsetAt(2234998799), 7200);  // 2040-10-28T00:59:59Z
  EXPECT_EQ(berlin->OffsetAt(2234998800), 3600);
  auto shanghai = TimeZone::Load("Asia/Shanghai");
  ASSERT_OK(shanghai);
  EXPECT_EQ(shanghai->OffsetAt(1731294660), 28800);
  EXPECT_EQ(shanghai->ToCivil(1731294660), (CivilTime{2024, 11, 11, 11, 11, 0}));
  auto new_york = TimeZone::Load("America/New_York");
  ASSERT_OK(new_york);
  EXPECT_EQ(new_york->OffsetAt(2215061999), -18000);  // 2040-03-11T06:59:59Z
  EXPECT_EQ(new_york->OffsetAt(2215062000), -14400);
  auto sydney = TimeZone::Load("Australia/Sydney");  // summer time across the new year
  ASSERT_OK(sydney);
  EXPECT_EQ(sydney->OffsetAt(2216822399), 39600);  // 2040-03-31T15:59:59Z
  EXPECT_EQ(sydney->OffsetAt(2216822400), 36000);
  EXPECT_EQ(sydney->OffsetAt(2233151999), 36000);  // 2040-10-06T15:59:59Z
  EXPECT_EQ(sydney->OffsetAt(2233152000), 39600);
}

TEST(TimeZoneTest, PosixRules) {
  auto cet = TimeZone::ParsePosixRule("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_OK(cet);
  EXPECT_EQ(cet->std_offset, 3600);
  EXPECT_EQ(cet->dst_offset, 7200);
  EXPECT_EQ(cet->OffsetAt(2216249999), 3600);
  EXPECT_EQ(cet->OffsetAt(2216250000), 7200);
  auto fixed = TimeZone::ParsePosixRule("<+0545>-5:45");
  ASSERT_OK(fixed);
  EXPECT_FALSE(fixed->has_dst);
  EXPECT_EQ(fixed->OffsetAt(0), 5 * 3600 + 45 * 60);
  auto julian = TimeZone::ParsePosixRule("XST3XDT,J60/2,J300/2");
  ASSERT_OK(julian);
  EXPECT_EQ(julian->start.kind, 'J');
  EXPECT_FALSE(TimeZone::ParsePosixRule("C-1").ok());
  EXPECT_FALSE(TimeZone::ParsePosixRule("CET-1CEST,M13.5.0,M10.5.0").ok());
  EXPECT_FALSE(TimeZone::ParsePosixRule("CET-1CEST,M3.5.0").ok());
}

}  // namespace
}  // namespace fluss
