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
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return Status::error(side, "cannot connect to " + redact_uri(uri) + ": " + pg_error(conn.get()));
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

Status pg_exec(PGconn* conn, const std::string& sql, Side side) {
  PgResult result(PQexec(conn, sql.c_str()));
  if (!result) return Status::error(side, pg_error(conn));
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return Status::error(side, pg_result_error(result.get()));
  return Status::ok();
}

Result<PgResult> pg_query(PGconn* conn, const std::string& sql, Side side, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  PgResult result(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0));
  if (!result) return Status::error(side, pg_error(conn));
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return Status::error(side, pg_result_error(result.get()));
  return result;
}

Status pg_end_copy(PGconn* conn, Side side, const char* error) {
  if (PQputCopyEnd(conn, error) != 1) return Status::error(side, pg_error(conn));
  Status status = Status::ok();
  while (PGresult* raw = PQgetResult(conn)) {
    PgResult result(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && status) status = Status::error(side, pg_result_error(raw));
  }
  return status;
}

}  // namespace decant
