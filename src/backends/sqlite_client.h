// Small helpers shared by the SQLite source and sink: handle ownership, identifier quoting and
// turning SQLite failures into a Status for the side that failed.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "format/status.h"

namespace decant {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;
using SqliteStatement = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

// "name" with embedded double quotes doubled: safe for any identifier, keywords included.
std::string sqlite_quote(std::string_view identifier);

// Opens `path` with `flags`; a failure names the path, which SQLite's own message does not.
// The connection must be used by one thread at a time: it skips SQLite's per-call mutex.
Result<SqliteDb> sqlite_open(const std::string& path, int flags, Side side);

// Prepares one statement; `persistent` hints that it will be stepped many times.
Result<SqliteStatement> sqlite_prepare(sqlite3* db, std::string_view sql, Side side,
                                       bool persistent = false);

// Runs SQL whose result rows, if any, are not needed.
Status sqlite_exec(sqlite3* db, const std::string& sql, Side side);

// The failure of the last call on `db`, `message` followed by SQLite's. Transient when another
// connection held a lock past the busy timeout (SQLITE_BUSY, SQLITE_LOCKED), so that
// `import --retries` tries again; permanent otherwise.
Status sqlite_failure(sqlite3* db, Side side, const std::string& message);

// A TEXT result column with its full byte length (text may hold NUL bytes); "" for NULL.
std::string_view sqlite_column_text(sqlite3_stmt* statement, int column);

}  // namespace decant
