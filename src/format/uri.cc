#include "format/uri.h"

#include <cctype>

namespace decant {

std::string uri_scheme(const std::string& uri) {
  size_t colon = uri.find(':');
  if (colon == std::string::npos || colon < 2) return "";
  for (size_t i = 0; i < colon; ++i) {
    char c = uri[i];
    bool ok = std::isalpha(static_cast<unsigned char>(c)) ||
              (i > 0 && (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'));
    if (!ok) return "";
  }
  return uri.substr(0, colon);
}

std::string redact_uri(const std::string& uri) {
  std::string out = uri;
  size_t authority = out.find("://");
  if (authority != std::string::npos) {
    size_t start = authority + 3;
    size_t end = out.find_first_of("/?#", start);
    if (end == std::string::npos) end = out.size();
    size_t at = out.rfind('@', end);
    if (at != std::string::npos && at >= start) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  size_t query = out.find('?');
  if (query != std::string::npos) {
    std::string kept;
    size_t pos = query + 1;
    while (pos <= out.size()) {
      size_t amp = out.find('&', pos);
      if (amp == std::string::npos) amp = out.size();
      std::string param = out.substr(pos, amp - pos);
      std::string lower;
      for (char c : param) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.rfind("password=", 0) != 0 && lower.rfind("pass=", 0) != 0 && !param.empty())
        kept += (kept.empty() ? "" : "&") + param;
      pos = amp + 1;
    }
    out = out.substr(0, query) + (kept.empty() ? "" : "?" + kept);
  }
  return out;
}

std::string uri_path(const std::string& uri) {
  std::string scheme = uri_scheme(uri);
  if (scheme.empty()) return uri;
  std::string rest = uri.substr(scheme.size() + 1);
  if (rest.rfind("//", 0) == 0) rest = rest.substr(2);
  return rest;
}

}  // namespace decant
