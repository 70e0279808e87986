// Order-independent stream digests: the sum, mod 2^128, of XXH3-128 hashes of each record's
// canonical encoding (format/SPEC.md, "Digests").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace decant {

struct Hash128 {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const Hash128&) const = default;
  auto operator<=>(const Hash128&) const = default;
};

Hash128 hash_record_bytes(std::string_view canonical);

class Digest {
 public:
  void add(Hash128 h) {
    uint64_t low = low_ + h.low;
    high_ += h.high + (low < low_ ? 1 : 0);
    low_ = low;
  }
  void add(const Digest& other) { add(Hash128{other.high_, other.low_}); }
  std::string hex() const;  // 32 lowercase hex digits, high 64 bits first
  bool operator==(const Digest&) const = default;

 private:
  uint64_t high_ = 0;
  uint64_t low_ = 0;
};

// Parses 32 hex digits; false when malformed.
bool parse_digest_hex(std::string_view hex, Digest& out);

}  // namespace decant
