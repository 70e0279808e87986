// SPEC 11.0 rule 1: how a stream without columns (a schemaless collection) lands in a table
// store. It becomes a table of two json columns: `_id`, the key, holding the canonical encoding
// of the record's `_id`, and `document`, the canonical encoding of the rest of the record.
// The import driver applies this for every sink that needs columns (Sink::needs_columns).
#pragma once

#include "format/schema.h"
#include "format/status.h"
#include "format/value.h"

namespace decant {

// The table a stream without columns becomes. Its indexes are on document fields the table
// does not have as columns, so they are left out.
StreamInfo table_shape(const StreamInfo& stream);

// Fills `row` with the table form of `document`; fails when it has no `_id` field.
Status to_table_row(const Record& document, Record& row);

// SPEC 11.0 rule 2, for document and key stores: whether a table stream is that table form
// (columns exactly `_id` and `document`), and the document a row of it stands for. The row's
// values are the JSON text of rule 1, as `json` values or, after a store that keeps them as
// text (SQLite), as text.
bool is_table_shape(const StreamInfo& stream);
Status from_table_row(const Record& row, Record& document);

}  // namespace decant
