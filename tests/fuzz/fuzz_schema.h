// The schema the format fuzz targets decode with: one column of every kind of physical layout
// (fixed widths, variable lengths, decimals both compact and not, times, timestamps), nullable.
#pragma once

#include "types/schema_parser.h"

namespace fluss::fuzz {

inline const Schema& FuzzSchema() {
  static const Schema schema =
      ParseSchema("id INT NOT NULL, b BOOLEAN, t TINYINT, s SMALLINT, l BIGINT, f FLOAT, d DOUBLE, "
                  "dec DECIMAL(10, 2), big DECIMAL(38, 4), str STRING, bin BYTES, day DATE, tm TIME(3), "
                  "ts TIMESTAMP(6), ltz TIMESTAMP_LTZ(9), PRIMARY KEY (id)")
          .value();
  return schema;
}

}  // namespace fluss::fuzz
