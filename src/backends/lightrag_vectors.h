// nano-vectordb's vector encodings (format/SPEC.md 11.5.2): LightRAG's per-row float16 copy,
// base64(zlib(float16 little-endian)), and the float32 matrix of L2-normalised rows, base64 of
// little-endian floats, streamed in pieces so a matrix of any size passes in bounded memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/status.h"

namespace decant::lightrag {

// IEEE binary16 conversions: to half rounds to nearest, ties to even (numpy's astype).
uint16_t float_to_half(float value);
float half_to_float(uint16_t half);

// The per-row `vector` member: base64 of zlib (level 6, as Python's zlib.compress) of the
// float16 little-endian bytes. Decoding widens each float16 to float32 exactly.
std::string encode_row_vector(const std::vector<float>& vector);
Status decode_row_vector(std::string_view base64, std::vector<float>& out);

// `vector` / ||vector||, the sum of squares and the division in double, each rounded to float32.
std::vector<float> l2_normalized(const std::vector<float>& vector);

// Little-endian float32 bytes of `vector`, appended.
void append_float32_le(const std::vector<float>& vector, std::string& out);

// Base64 in pieces: the encoder keeps the 0-2 bytes that do not yet make a group of three.
class Base64Encoder {
 public:
  void add(std::string_view bytes, std::string& out);
  void finish(std::string& out);

 private:
  std::string pending_;
};

// Base64 text in, bytes out, in pieces of any size.
class Base64Decoder {
 public:
  Status add(std::string_view text, std::string& out);
  Status finish(std::string& out);

 private:
  std::string pending_;
};

// Where the parts of a nano-vectordb file are, found by one pass that skips over the rows.
struct VectorFile {
  int64_t dimension = -1;
  uint64_t data_offset = 0;    // its '['
  uint64_t matrix_offset = 0;  // its opening '"'
  bool has_data = false, has_matrix = false;
  int64_t rows = 0;
  nlohmann::json members = nlohmann::json::object();  // the other top-level members
};
Result<VectorFile> scan_vector_file(const std::string& path);

}  // namespace decant::lightrag
