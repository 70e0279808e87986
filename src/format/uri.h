// Location strings: "sqlite:path", "postgres://user:pw@host/db", or a bare file path.
#pragma once

#include <string>

namespace decant {

// The scheme before ':' ("sqlite", "postgres"), or "" for a bare path. A single letter
// before ':' is not a scheme, so "C:..." stays a path.
std::string uri_scheme(const std::string& uri);

// The URI with any password removed ("postgres://u:secret@h/db" -> "postgres://u@h/db",
// and "password=..." query parameters dropped), safe for archives, logs and reports.
std::string redact_uri(const std::string& uri);

// The part after "scheme:" (and after "//" when present) for file-backed schemes.
std::string uri_path(const std::string& uri);

}  // namespace decant
