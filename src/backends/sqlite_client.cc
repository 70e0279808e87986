#include "backends/sqlite_client.h"

namespace decant {

std::string sqlite_quote(std::string_view identifier) {
  std::string quoted;
  quoted.reserve(identifier.size() + 2);
  quoted += '"';
  for (char c : identifier) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

Result<SqliteDb> sqlite_open(const std::string& path, int flags, Side side) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw);  // sqlite3_open_v2 hands out a handle even on failure; it must be closed
  if (rc != SQLITE_OK) {
    std::string reason = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return Status::error(side, "cannot open SQLite database \"" + path + "\": " + reason);
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Result<SqliteStatement> sqlite_prepare(sqlite3* db, std::string_view sql, Side side,
                                       bool persistent) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              persistent ? SQLITE_PREPARE_PERSISTENT : 0, &raw, nullptr);
  SqliteStatement statement(raw);
  if (rc != SQLITE_OK) return sqlite_failure(db, side, "");
  return statement;
}

Status sqlite_exec(sqlite3* db, const std::string& sql, Side side) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return Status::ok();
  sqlite3_free(error);
  return sqlite_failure(db, side, "");
}

Status sqlite_failure(sqlite3* db, Side side, const std::string& message) {
  std::string text = message.empty() ? sqlite3_errmsg(db) : message + ": " + sqlite3_errmsg(db);
  int code = sqlite3_extended_errcode(db) & 0xff;
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    return Status::transient(side, text + " (another connection holds a lock on the database)");
  return Status::error(side, text);
}

std::string_view sqlite_column_text(sqlite3_stmt* statement, int column) {
  // sqlite3_column_text must come before sqlite3_column_bytes so the length is of the UTF-8 form.
  const unsigned char* text = sqlite3_column_text(statement, column);
  if (!text) return {};
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(statement, column))};
}

}  // namespace decant
