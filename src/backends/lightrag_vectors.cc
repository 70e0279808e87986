#include "backends/lightrag_vectors.h"

#include <zlib.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "backends/lightrag_json.h"
#include "format/value_codec.h"

namespace decant::lightrag {

uint16_t float_to_half(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint32_t sign = (bits >> 16) & 0x8000u;
  uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude >= 0x7F800000u)  // infinity or NaN
    return static_cast<uint16_t>(sign | 0x7C00u | (magnitude > 0x7F800000u ? 0x200u : 0u));
  if (magnitude >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds past 65504
  if (magnitude < 0x38800000u) {
    // float16 subnormal (or zero): the float's value in units of 2^-24, rounded to even.
    if (magnitude < 0x33000000u) return static_cast<uint16_t>(sign);  // below half of 2^-24
    uint32_t mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;
    int shift = 126 - static_cast<int>(magnitude >> 23);  // 14 + 23 - (exponent - 127) - 24 + ...
    uint32_t half = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = ((magnitude >> 13) - (112u << 10));  // rebias exponent 127 -> 15
  uint32_t rest = magnitude & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1))) ++half;
  return static_cast<uint16_t>(sign | half);
}

float half_to_float(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1Fu;
  uint32_t mantissa = half & 0x3FFu;
  if (exponent == 0) {
    float value = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -value : value;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

std::string encode_row_vector(const std::vector<float>& vector) {
  std::string halves(vector.size() * 2, '\0');
  for (size_t i = 0; i < vector.size(); ++i) {
    uint16_t h = float_to_half(vector[i]);
    halves[2 * i] = static_cast<char>(h & 0xFF);
    halves[2 * i + 1] = static_cast<char>(h >> 8);
  }
  uLongf size = compressBound(static_cast<uLong>(halves.size()));
  std::string compressed(size, '\0');
  compress2(reinterpret_cast<Bytef*>(compressed.data()), &size, reinterpret_cast<const Bytef*>(halves.data()),
            static_cast<uLong>(halves.size()), Z_DEFAULT_COMPRESSION);
  compressed.resize(size);
  return base64_encode(compressed);
}

Status decode_row_vector(std::string_view base64, std::vector<float>& out) {
  std::string compressed;
  if (!base64_decode(base64, compressed)) return Status::source("the row's \"vector\" is not base64");
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return Status::internal("zlib inflateInit failed");
  stream.next_in = reinterpret_cast<Bytef*>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string halves;
  int rc = Z_OK;
  char chunk[16384];
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    rc = inflate(&stream, Z_NO_FLUSH);
    halves.append(chunk, sizeof chunk - stream.avail_out);
    if (rc == Z_BUF_ERROR && stream.avail_in == 0) break;
  }
  inflateEnd(&stream);
  if (rc != Z_STREAM_END) return Status::source("the row's \"vector\" is not zlib data");
  if (halves.size() % 2) return Status::source("the row's \"vector\" holds an odd number of bytes");
  out.resize(halves.size() / 2);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = half_to_float(static_cast<uint16_t>(static_cast<unsigned char>(halves[2 * i]) |
                                                 static_cast<unsigned char>(halves[2 * i + 1]) << 8));
  return Status::ok();
}

std::vector<float> l2_normalized(const std::vector<float>& vector) {
  double sum = 0;
  for (float f : vector) sum += static_cast<double>(f) * f;
  double norm = std::sqrt(sum);
  std::vector<float> unit(vector.size());
  for (size_t i = 0; i < vector.size(); ++i) unit[i] = static_cast<float>(vector[i] / norm);
  return unit;
}

void append_float32_le(const std::vector<float>& vector, std::string& out) {
  static_assert(std::endian::native == std::endian::little, "float32 bytes are written as they lie in memory");
  out.append(reinterpret_cast<const char*>(vector.data()), vector.size() * sizeof(float));
}

void Base64Encoder::add(std::string_view bytes, std::string& out) {
  if (!pending_.empty()) {
    size_t take = std::min(bytes.size(), 3 - pending_.size());
    pending_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (pending_.size() < 3) return;
    out += base64_encode(pending_);
    pending_.clear();
  }
  size_t whole = bytes.size() / 3 * 3;
  out += base64_encode(bytes.substr(0, whole));
  pending_.assign(bytes.substr(whole));
}

void Base64Encoder::finish(std::string& out) {
  out += base64_encode(pending_);
  pending_.clear();
}

Status Base64Decoder::add(std::string_view text, std::string& out) {
  pending_.append(text);
  // The last group may carry padding, so one group is held back until finish().
  if (pending_.size() <= 4) return Status::ok();
  size_t whole = (pending_.size() - 1) / 4 * 4;
  std::string bytes;
  if (!base64_decode(std::string_view(pending_).substr(0, whole), bytes)) return Status::source("invalid base64");
  out += bytes;
  pending_.erase(0, whole);
  return Status::ok();
}

Status Base64Decoder::finish(std::string& out) {
  std::string bytes;
  if (!base64_decode(pending_, bytes)) return Status::source("invalid base64");
  out += bytes;
  pending_.clear();
  return Status::ok();
}

Result<VectorFile> scan_vector_file(const std::string& path) {
  Result<std::unique_ptr<JsonFileReader>> opened = JsonFileReader::open(path);
  if (!opened) return opened.take_status();
  JsonFileReader& reader = **opened;
  VectorFile file;
  DECANT_TRY(reader.expect('{'));
  bool first = true;
  std::string key;
  for (;;) {
    Result<bool> member = reader.next_member(first, key);
    if (!member) return member.take_status();
    if (!*member) break;
    Result<int> next = reader.peek();
    if (!next) return next.take_status();
    if (key == "embedding_dim") {
      Value dimension;
      DECANT_TRY(reader.read_value(dimension, 1));
      if (dimension.kind != Kind::kInt64 || dimension.integer <= 0)
        return reader.error("\"embedding_dim\" is not a positive integer");
      file.dimension = dimension.integer;
    } else if (key == "data") {
      file.has_data = true;
      file.data_offset = reader.offset();
      DECANT_TRY(reader.expect('['));
      bool first_row = true;
      for (;;) {
        Result<bool> row = reader.next_element(first_row);
        if (!row) return row.take_status();
        if (!*row) break;
        DECANT_TRY(reader.skip_value());
        ++file.rows;
      }
    } else if (key == "matrix") {
      if (*next != '"') return reader.error("\"matrix\" is not a base64 string");
      file.has_matrix = true;
      file.matrix_offset = reader.offset();
      DECANT_TRY(reader.skip_value());
    } else {
      Value other;
      DECANT_TRY(reader.read_value(other, 1));
      std::string text;
      DECANT_TRY(append_py_json(other, PyLayout::kOneLine, 0, text));
      file.members[key] = nlohmann::json::parse(text, nullptr, false);
    }
  }
  DECANT_TRY(reader.expect_end());
  if (file.dimension < 0) return Status::source(path + ": no \"embedding_dim\"");
  if (file.rows > 0 && !file.has_matrix) return Status::source(path + ": rows but no \"matrix\"");
  return file;
}

}  // namespace decant::lightrag
