// The option names of Apache Fluss (its ConfigOptions: server, client, ZooKeeper, lake, metrics and
// security keys, with their deprecated spellings) and the key families it hands on to plugins
// (file systems, lake catalogs, metrics reporters). fluss-server uses them to tell a Fluss option it
// does not implement (a warning: a Fluss server.yaml still starts) from a typo (an error). Table
// properties (`table.*`) are listed in types/table_properties.h.
#pragma once

#include <string_view>
#include <vector>

namespace fluss {

// Every exact option name of Apache Fluss except the table properties.
const std::vector<std::string_view>& UpstreamOptionNames();

// True for an exact name above, a table property Fluss knows, or a key of a family Fluss hands on:
// datalake.{paimon,iceberg,lance,hudi}.* (lake catalogs), fs.*, s3.*, s3a.*, oss.*, gs.*, obs.*,
// azure.*, fluss.hadoop.* (file systems), metrics.reporter.* and security.sasl.*.
bool IsUpstreamOption(std::string_view key);

}  // namespace fluss
