#include "backends/postgres_client.h"

#include "backends/sqlite_client.h"
#include "format/uri.h"

namespace decant {

namespace {

std::string one_line(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  for (char& c : message)
    if (c == '\n') c = ' ';
  return message;
}

void ignore_notice(void*, const char*) {}

}  // namespace

Result<PgConn> pg_connect(const std::string& uri, Side side) {
  // Keywords after "dbname" override what the URI says; the URI overrides nothing given here.
  const char* keywords[] = {"dbname", "fallback_application_name", "client_encoding", nullptr};
  const char* values[] = {uri.c_str(), "decant", "UTF8", nullptr};
  PgConn conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!conn) return Status::error(side, "out of memory connecting to PostgreSQL");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string message = "cannot connect to " + redact_uri(uri) + ": " + pg_error(conn.get());
    // libpq gives no SQLSTATE here: a server that is not there (yet) or is starting up or
    // shutting down may be back soon; a refusal of the login or the database is final.
    for (const char* final : {"authentication", "password", "does not exist", "pg_hba.conf", "permission denied",
                              "invalid", "SSL"})
      if (message.find(final) != std::string::npos) return Status::error(side, message);
    return Status::transient(side, message);
  }
  PQsetNoticeProcessor(conn.get(), ignore_notice, nullptr);
  Status set = pg_exec(conn.get(),
                       "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET IntervalStyle = postgres;"
                       " SET extra_float_digits = 3; SET standard_conforming_strings = on;"
                       " SET client_min_messages = warning; SET search_path = pg_catalog",
                       side);
  if (!set) return std::move(set).context(redact_uri(uri));
  return conn;
}

// SQL's identifier quoting, the same in both dialects.
std::string pg_quote_ident(std::string_view identifier) { return sqlite_quote(identifier); }

std::string pg_quote_literal(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted += '\'';
  for (char c : text) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  quoted += '\'';
  return quoted;
}

std::string pg_qualified(std::string_view schema, std::string_view table) {
  return pg_quote_ident(schema) + "." + pg_quote_ident(table);
}

std::string pg_error(PGconn* conn) { return one_line(PQerrorMessage(conn)); }

std::string pg_result_error(const PGresult* result) {
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (!primary) return one_line(PQresultErrorMessage(result));
  std::string message = primary;
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) message += " (" + std::string(detail) + ")";
  if (const char* where = PQresultErrorField(result, PG_DIAG_CONTEXT)) message += " [" + one_line(where) + "]";
  return one_line(message);
}

Status pg_failure(PGconn* conn, const PGresult* result, Side side) {
  std::string message = result ? pg_result_error(result) : pg_error(conn);
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view code = state ? state : "";
  bool transient = PQstatus(conn) == CONNECTION_BAD || code == "40001" || code == "40P01" || code.substr(0, 2) == "08" ||
                   code == "57P01" || code == "57P02" || code == "57P03";
  return transient ? Status::transient(side, message) : Status::error(side, message);
}

Status pg_exec(PGconn* conn, const std::string& sql, Side side) {
  PgResult result(PQexec(conn, sql.c_str()));
  if (!result) return pg_failure(conn, nullptr, side);
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return pg_failure(conn, result.get(), side);
  return Status::ok();
}

Result<PgResult> pg_query(PGconn* conn, const std::string& sql, Side side, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  PgResult result(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0));
  if (!result) return pg_failure(conn, nullptr, side);
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return pg_failure(conn, result.get(), side);
  return result;
}

Status pg_end_copy(PGconn* conn, Side side, const char* error) {
  if (PQputCopyEnd(conn, error) != 1) return pg_failure(conn, nullptr, side);
  Status status = Status::ok();
  while (PGresult* raw = PQgetResult(conn)) {
    PgResult result(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && status) status = pg_failure(conn, raw, side);
  }
  return status;
}

}  // namespace decant
