// JSON as LightRAG's Python code reads and writes it: an incremental reader that walks a file of
// any size one token at a time (a 1 GB kv_store file is never loaded), the mapping between plain
// JSON and Values, and writers that reproduce Python's json.dump byte for byte.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "format/status.h"
#include "format/value.h"

namespace decant::lightrag {

class JsonFileReader {
 public:
  // Opens `path` for reading from byte `offset`. Errors are source errors naming the file.
  static Result<std::unique_ptr<JsonFileReader>> open(const std::string& path, uint64_t offset = 0);
  // Reads JSON text held in memory (a Redis value); `name` stands for the path in messages.
  static std::unique_ptr<JsonFileReader> from_text(std::string_view text, std::string name);
  ~JsonFileReader();
  JsonFileReader(const JsonFileReader&) = delete;
  JsonFileReader& operator=(const JsonFileReader&) = delete;

  const std::string& path() const { return path_; }
  // Absolute offset of the next byte not yet consumed.
  uint64_t offset() const { return base_ + pos_; }

  // Skips whitespace (and a UTF-8 byte order mark at the very start, which Python's
  // utf-8-sig tolerates); returns the next byte without consuming it, or -1 at the end.
  Result<int> peek();
  Status expect(char c);
  // Only whitespace remains.
  Status expect_end();

  // Iteration: after expect('{') / expect('['), call repeatedly with the same `first` flag
  // (initially true) until it returns false. next_member reads the key and the ':'.
  Result<bool> next_member(bool& first, std::string& key);
  Result<bool> next_element(bool& first);

  Status read_string(std::string& out);
  // A plain JSON value, no tags: `level` is the nesting level an object or array here has.
  Status read_value(Value& out, int level);
  // The members of an object whose '{' has been consumed, appended to `record`; members named
  // `skip` are read and dropped. `first` is false when some members were read already.
  Status read_members(Record& record, std::string_view skip, bool first = true);
  Status skip_value();
  // Reads up to `max` bytes of the body of a string that has no escapes (base64), after its
  // opening quote; `done` is set once the closing quote has been consumed.
  Status read_plain_string_part(std::string& out, size_t max, bool& done);

  // "PATH: byte N: message", as a source error.
  Status error(const std::string& message) const;

 private:
  JsonFileReader(int fd, std::string path, uint64_t offset, size_t buffer_bytes);
  // Ensures `n` unread bytes are buffered unless the file ends first; false at end of file.
  Result<bool> fill(size_t n);
  Status skip_whitespace();
  Status read_number(Value& out);
  Status read_literal(std::string_view word);
  Status read_escape(std::string& out);

  int fd_;
  std::string path_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t base_;  // file offset of buffer_[0]
  bool at_start_;
  std::string number_;
};

// Python's json.dump layouts: LightRAG's kv_store files (indent=2) and nano-vectordb's one line
// (separators ", " and ": "). Both write non-ASCII characters raw (ensure_ascii=False).
enum class PyLayout { kIndented, kOneLine };

// Appends `value` as Python writes the equivalent object. Values plain JSON cannot hold (bytes,
// timestamps, ...) are written as their archive encoding; raw (non-UTF-8) text is refused.
Status append_py_json(const Value& value, PyLayout layout, int level, std::string& out);
// An object member "name": value at `level`, with the separator before it when not `first`.
Status append_py_member(std::string_view name, const Value& value, PyLayout layout, int level, bool first,
                        std::string& out);
void append_py_object_end(bool empty, PyLayout layout, int level, std::string& out);
// Python's json.dumps default ensure_ascii=True, applied to JSON text written raw: every
// character outside ' '..'~' inside it becomes a lowercase \uXXXX escape (astral characters
// as surrogate pairs), as Redis values written by LightRAG hold them.
void escape_non_ascii(std::string& json);
// Python's float repr (shortest round-trip digits; exponent form below 1e-4 and from 1e16),
// with json's bare NaN, Infinity and -Infinity.
void append_py_float(double value, std::string& out);
void append_py_newline(PyLayout layout, int level, std::string& out);

}  // namespace decant::lightrag
