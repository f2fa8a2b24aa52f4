// fluss::arrow — Arrow IPC written here (Debian has no Arrow C++): RecordBatch messages for ARROW log
// batches, their projection, and Arrow streams for interop. Bytes: docs/formats/arrow.md.
#pragma once

#include "format/arrow/column_vector.h"   // ColumnVector, ColumnsToRows
#include "format/arrow/compression.h"     // CompressionCodec, CompressionOptions
#include "format/arrow/ipc_message.h"     // MessageSize
#include "format/arrow/projection.h"      // ProjectRecordBatch
#include "format/arrow/record_batch.h"    // RecordBatchBuilder, Encode/DecodeRecordBatch, Encode/DecodeColumns
#include "format/arrow/stream.h"          // Encode/DecodeSchemaMessage, ReadStream, WriteStream
