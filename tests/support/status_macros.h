// gtest assertions on Status and Result<T> that print the status when they fail:
//   ASSERT_OK(log->Append(batch));                        // "log->Append(batch): IO_ERROR: ..."
//   EXPECT_OK(writer->Flush());
//   ASSERT_OK_AND_ASSIGN(auto table, conn->GetTable(path));  // declares `table` from the value
// Any test target can include "support/status_macros.h".
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "fluss/status.h"

namespace fluss::testing {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace fluss::testing

#define FLUSS_TEST_CHECK_OK_IMPL(fatal_or_not, tmp, expr)                                          \
  do {                                                                                             \
    const auto& tmp = (expr);                                                                      \
    fatal_or_not(::fluss::testing::StatusOf(tmp).ok()) << #expr << ": " << ::fluss::testing::StatusOf(tmp).ToString(); \
  } while (false)

#define ASSERT_OK(expr) FLUSS_TEST_CHECK_OK_IMPL(ASSERT_TRUE, FLUSS_CONCAT(_fluss_test_status_, __LINE__), expr)
#define EXPECT_OK(expr) FLUSS_TEST_CHECK_OK_IMPL(EXPECT_TRUE, FLUSS_CONCAT(_fluss_test_status_, __LINE__), expr)

#define FLUSS_TEST_ASSIGN_OR_FAIL_IMPL(tmp, lhs, rexpr)                          \
  auto tmp = (rexpr);                                                            \
  ASSERT_TRUE(tmp.ok()) << #rexpr << ": " << tmp.status().ToString();            \
  lhs = std::move(tmp).value()

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  FLUSS_TEST_ASSIGN_OR_FAIL_IMPL(FLUSS_CONCAT(_fluss_test_result_, __LINE__), lhs, rexpr)
