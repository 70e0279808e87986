#include "format/digest.h"

#include <cstdio>

#include <xxhash.h>

namespace decant {

Hash128 hash_record_bytes(std::string_view canonical) {
  XXH128_hash_t h = XXH3_128bits(canonical.data(), canonical.size());
  return Hash128{h.high64, h.low64};
}

std::string Digest::hex() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(high_),
                static_cast<unsigned long long>(low_));
  return std::string(buf, 32);
}

bool parse_digest_hex(std::string_view hex, Digest& out) {
  if (hex.size() != 32) return false;
  uint64_t parts[2] = {0, 0};
  for (size_t i = 0; i < 32; ++i) {
    char c = hex[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return false;
    parts[i / 16] = (parts[i / 16] << 4) | static_cast<uint64_t>(d);
  }
  out = Digest();
  out.add(Hash128{parts[0], parts[1]});
  return true;
}

}  // namespace decant
