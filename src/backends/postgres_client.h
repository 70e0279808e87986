// Helpers shared by the PostgreSQL source and sink: connections (libpq, so URIs, the PG*
// environment variables and ~/.pgpass all work as for psql), quoting, running statements and
// turning libpq failures into a Status for the side that failed.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

#include "format/status.h"

namespace decant {

struct PgConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultClear {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgConn = std::unique_ptr<PGconn, PgConnCloser>;
using PgResult = std::unique_ptr<PGresult, PgResultClear>;

// Connects to `uri` (postgres:// or postgresql://; libpq fills in what it leaves out from
// PGHOST, PGUSER, PGPASSWORD, ~/.pgpass and the like) and fixes the session settings decant
// relies on: UTF8, ISO dates, UTC, search_path = pg_catalog (so that catalog functions print
// schema-qualified names), no notices on stderr. Errors never contain the password.
Result<PgConn> pg_connect(const std::string& uri, Side side);

// "name" with embedded double quotes doubled: safe for any identifier, keywords included.
std::string pg_quote_ident(std::string_view identifier);
// 'text' with embedded quotes doubled (standard_conforming_strings is on in every session).
std::string pg_quote_literal(std::string_view text);
// "schema"."table"
std::string pg_qualified(std::string_view schema, std::string_view table);

// The error of the last command on `conn`, one line, without libpq's trailing newline.
std::string pg_error(PGconn* conn);
// The error a result carries: the primary message, plus its detail when there is one.
std::string pg_result_error(const PGresult* result);

// A failed call on `conn` (with its result, when there is one) as a Status. Transient
// (Status::transient, retried by the import) when the connection is gone or the server says the
// same work may succeed if tried again: serialization failure (40001), deadlock (40P01),
// connection exceptions (08...), shutting down or starting up (57P01, 57P02, 57P03).
Status pg_failure(PGconn* conn, const PGresult* result, Side side);

// Runs one or more statements that return no rows.
Status pg_exec(PGconn* conn, const std::string& sql, Side side);
// Runs a query with text parameters ($1, $2, ...; an empty optional is NULL) and returns its
// rows in text form.
Result<PgResult> pg_query(PGconn* conn, const std::string& sql, Side side,
                          const std::vector<std::string>& params = {});

// The text of a result cell; "" for NULL.
inline std::string_view pg_cell(const PGresult* result, int row, int column) {
  return {PQgetvalue(result, row, column), static_cast<size_t>(PQgetlength(result, row, column))};
}
inline bool pg_is_null(const PGresult* result, int row, int column) {
  return PQgetisnull(result, row, column) != 0;
}

// Ends a COPY FROM STDIN (with `error` non-empty: aborts it with that message) and collects
// the command's result.
Status pg_end_copy(PGconn* conn, Side side, const char* error = nullptr);

}  // namespace decant
