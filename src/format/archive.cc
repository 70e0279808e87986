#include "format/archive.h"

#include <chrono>
#include <cstring>
#include <random>

#include <simdjson.h>

#include "format/value_codec.h"
#include "format/value_decode.h"

namespace decant {

// A string member of an untrusted line, or "" when it is missing or of another type
// (json::value would throw on the other type).
static std::string string_member(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

std::string utc_now_text() {
  auto now = std::chrono::system_clock::now();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros % 1000000));
  return buf;
}

// Whether objects and arrays in a JSON text nest deeper than `limit`, the outermost counting as
// level 1. Checked before nlohmann parses a non-record line: its tree costs tens of bytes per
// level, so a line of 64 MiB of '[' would take gigabytes.
bool nests_deeper_than(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

std::string dump_line(const ordered_json& j) {
  // Invalid UTF-8 in descriptive members (a file path, say) is replaced rather than fatal.
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string new_archive_id() {
  std::random_device rd;
  std::mt19937_64 gen((uint64_t(rd()) << 32) ^ rd() ^
                      uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()));
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(gen()),
                static_cast<unsigned long long>(gen()));
  return buf;
}

// ---------------------------------------------------------------- writer

Status ArchiveWriter::emit(const std::string& line) {
  bytes_ += line.size();
  ++lines_;
  return sink_.write(line);
}

Status ArchiveWriter::emit_structural(const std::string& line) {
  bytes_ += line.size();
  return sink_.write_structural_line(line, ++lines_);
}

Status ArchiveWriter::write_header(const SourceDescription& source) {
  ordered_json header = {
      {"t", "header"},
      {"format", kFormatName},
      {"version", std::to_string(kFormatMajor) + "." + std::to_string(kFormatMinor)},
      {"producer", std::string("decant ") + DECANT_VERSION},
      {"created", utc_now_text()},
      {"archive_id", new_archive_id()},
      {"source", {{"backend", source.backend}, {"location", source.location}, {"details", source.details}}},
      {"snapshot", source.snapshot},
  };
  return emit_structural(dump_line(header));
}

Status ArchiveWriter::begin_stream(const StreamInfo& stream) {
  if (seen_.count(stream.name)) return Status::internal("stream \"" + stream.name + "\" written twice");
  seen_[stream.name] = true;
  open_[stream.name] = OpenStream();
  last_stream_ = nullptr;
  ++streams_;
  return emit_structural(dump_line(to_json(stream)));
}

Status ArchiveWriter::write_record(const std::string& stream, const Record& record) {
  if (!last_stream_ || stream != last_stream_name_) {
    auto it = open_.find(stream);
    if (it == open_.end()) return Status::internal("record for stream \"" + stream + "\" that is not open");
    last_stream_ = &it->second;
    last_stream_name_ = stream;
  }
  line_.clear();
  line_ += "{\"t\":\"rec\",\"s\":";
  encode_string(stream, line_);
  line_ += ",\"r\":";
  size_t start = line_.size();
  encode_record(record, line_);
  Hash128 h = hash_record_bytes(std::string_view(line_).substr(start));
  line_ += "}\n";
  last_stream_->digest.add(h);
  ++last_stream_->count;
  total_digest_.add(h);
  ++total_records_;
  return emit(line_);
}

Status ArchiveWriter::end_stream(const std::string& stream) {
  auto it = open_.find(stream);
  if (it == open_.end()) return Status::internal("ending stream \"" + stream + "\" that is not open");
  ordered_json end = {{"t", "end"}, {"s", stream}, {"count", it->second.count}, {"digest", it->second.digest.hex()}};
  open_.erase(it);
  last_stream_ = nullptr;
  return emit_structural(dump_line(end));
}

Status ArchiveWriter::finish() {
  if (!open_.empty()) return Status::internal("stream \"" + open_.begin()->first + "\" was never ended");
  ordered_json trailer = {
      {"t", "trailer"}, {"streams", streams_}, {"records", total_records_}, {"digest", total_digest_.hex()}};
  DECANT_TRY(emit_structural(dump_line(trailer)));
  return sink_.finish();
}

// ---------------------------------------------------------------- reader

namespace {
constexpr size_t kReadChunk = 1 << 20;

std::string_view trim_json_space(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}
}

struct ArchiveReader::Parser {
  simdjson::ondemand::parser parser;
  CanonicalProof proof;
};

ArchiveReader::~ArchiveReader() = default;

ArchiveReader::ArchiveReader(ByteSource& source, std::string name, ReaderOptions options)
    : source_(source), name_(std::move(name)), options_(options), parser_(std::make_unique<Parser>()) {
  capacity_ = 4 * kReadChunk;
  buffer_.reset(new char[capacity_ + simdjson::SIMDJSON_PADDING]);
}

Status ArchiveReader::fail(const std::string& message) const {
  return Status::archive(name_ + ":" + std::to_string(line_number_) + ": byte " + std::to_string(line_offset_) +
                         ": " + message);
}

Result<bool> ArchiveReader::next_line(std::string_view& line) {
  for (;;) {
    if (void* nl = std::memchr(buffer_.get() + scanned_, '\n', end_ - scanned_)) {
      size_t stop = static_cast<size_t>(static_cast<char*>(nl) - buffer_.get());
      line = std::string_view(buffer_.get() + begin_, stop - begin_);
      line_offset_ = consumed_;
      consumed_ += line.size() + 1;
      ++line_number_;
      begin_ = scanned_ = stop + 1;
      if (line.size() > options_.max_line_bytes)
        return fail("line is longer than the limit of " + std::to_string(options_.max_line_bytes) + " bytes");
      return true;
    }
    scanned_ = end_;
    if (end_ - begin_ > options_.max_line_bytes) {
      line_offset_ = consumed_;
      ++line_number_;
      return fail("line is longer than the limit of " + std::to_string(options_.max_line_bytes) + " bytes");
    }
    if (eof_) {
      if (begin_ == end_) return false;
      line_offset_ = consumed_;
      ++line_number_;
      return fail("truncated archive: the last line has no terminating newline");
    }
    if (begin_ > 0) {
      std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      scanned_ -= begin_;
      begin_ = 0;
    }
    if (capacity_ - end_ < kReadChunk) {
      size_t bigger = std::min(capacity_ * 2, options_.max_line_bytes + 2 * kReadChunk);
      if (bigger > capacity_) {
        std::unique_ptr<char[]> grown(new char[bigger + simdjson::SIMDJSON_PADDING]);
        std::memcpy(grown.get(), buffer_.get(), end_);
        buffer_ = std::move(grown);
        capacity_ = bigger;
      }
    }
    Result<size_t> n = source_.read(buffer_.get() + end_, capacity_ - end_);
    if (!n) {
      Status s = n.take_status();
      return Status::error(Side::kArchive, s.message());
    }
    if (*n == 0) eof_ = true;
    end_ += *n;
  }
}

Status ArchiveReader::open() {
  std::string_view line;
  Result<bool> got = next_line(line);
  if (!got) return got.take_status();
  if (!*got) return Status::archive(name_ + ": empty input, not a decant archive");
  return parse_header(line);
}

Status ArchiveReader::open_at(const FrameIndex& index, size_t frame) {
  if (frame >= index.frames.size() || index.lines.empty() || index.lines.front().line != 1)
    return Status::internal("open_at: no such frame in the index");
  line_number_ = 1;
  DECANT_TRY(parse_header(index.lines.front().text));
  first_line_ = index.first_line[frame];
  first_offset_ = index.frames[frame].decompressed_offset;
  for (size_t i = 1; i < index.lines.size() && index.lines[i].line < first_line_; ++i) replay_.push_back(index.lines[i]);
  line_number_ = first_line_ - 1;
  consumed_ = first_offset_;
  return Status::ok();
}

// The structural lines before the seek frame, as if read; their records are not.
Result<ArchiveEvent> ArchiveReader::replay_next() {
  const FrameIndex::Line& line = replay_[replayed_++];
  line_number_ = line.line;
  json j = json::parse(line.text, nullptr, false);
  Result<std::optional<ArchiveEvent>> event =
      j.is_object() && j.contains("t") && j["t"].is_string() ? handle_other(line.text, j["t"].get<std::string>())
                                                             : Result<std::optional<ArchiveEvent>>(fail("frame index: corrupt line"));
  if (replayed_ == replay_.size()) line_number_ = first_line_ - 1;
  if (!event) return event.take_status();
  if (!event->has_value()) return next();
  if (**event == ArchiveEvent::kStream) streams_[current_stream_->name]->unread_records = true;
  return **event;
}

Status ArchiveReader::parse_header(std::string_view line) {
  if (nests_deeper_than(line, kMaxNestingDepth))
    return fail("not a decant archive: the first line nests deeper than " + std::to_string(kMaxNestingDepth) +
                " levels");
  json header = json::parse(line, nullptr, false);
  if (header.is_discarded() || !header.is_object() || string_member(header, "t") != "header" ||
      string_member(header, "format") != kFormatName)
    return fail("not a decant archive: the first line is not a decant-archive header");
  std::string version = string_member(header, "version");
  int major = -1, minor = -1;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2 || major < 0 || minor < 0)
    return fail("malformed archive version \"" + version + "\"");
  if (major != kFormatMajor)
    return fail("unsupported archive version " + version + "; this decant reads " + std::to_string(kFormatMajor) +
                ".x");
  header_minor_ = minor;
  header_ = std::move(header);
  return Status::ok();
}

Result<ArchiveEvent> ArchiveReader::next() {
  if (replayed_ < replay_.size()) return replay_next();
  for (;;) {
    std::string_view line;
    Result<bool> got = next_line(line);
    if (!got) return got.take_status();
    if (!*got) {
      if (trailer_seen_) return ArchiveEvent::kEnd;
      return fail("truncated archive: the input ends without a trailer line");
    }
    if (trailer_seen_) return fail("content after the trailer line");
    if (line.empty()) return fail("empty line");

    size_t available = capacity_ + simdjson::SIMDJSON_PADDING - static_cast<size_t>(line.data() - buffer_.get());
    simdjson::ondemand::document doc;
    if (auto err = parser_->parser.iterate(line.data(), line.size(), available).get(doc))
      return fail(std::string("corrupt line: ") + simdjson::error_message(err));
    simdjson::ondemand::object object;
    if (auto err = doc.get_object().get(object))
      return fail(std::string("corrupt line: not a JSON object (") + simdjson::error_message(err) + ")");

    std::string kind;
    bool have_record = false;
    bool have_stream = false;
    for (auto field : object) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key))
        return fail(std::string("corrupt line: ") + simdjson::error_message(err));
      if (key == "t") {
        std::string_view t;
        if (field.value().get_string().get(t)) return fail("corrupt line: \"t\" is not a string");
        kind.assign(t);
        if (kind != "rec") break;
      } else if (key == "s") {
        std::string_view s;
        if (field.value().get_string().get(s)) return fail("corrupt line: \"s\" is not a string");
        stream_name_.assign(s);
        have_stream = true;
      } else if (key == "r") {
        simdjson::ondemand::value value;
        simdjson::ondemand::object r;
        if (auto err = field.value().get(value)) return fail(std::string("corrupt record: ") + simdjson::error_message(err));
        const char* start = value.raw_json_token().data();
        if (auto err = value.get_object().get(r))
          return fail(std::string("corrupt record: \"r\" is not an object (") + simdjson::error_message(err) + ")");
        CanonicalProof& proof = parser_->proof;
        proof.document = &doc;
        proof.holds = true;
        proof.length = 0;
        Status decoded = decode_record(r, record_, &proof);
        if (!decoded) return fail("corrupt record: " + decoded.message());
        // The record's text runs to the token after its closing brace.
        auto end = doc.current_location();
        raw_record_ = end.error() ? std::string_view() : trim_json_space(std::string_view(start, size_t(end.value_unsafe() - start)));
        have_record = true;
      }
    }
    if (kind.empty()) return fail("corrupt line: no \"t\" member");
    if (kind != "rec") {
      Result<std::optional<ArchiveEvent>> event = handle_other(line, kind);
      if (!event) return event.take_status();
      if (!event->has_value()) continue;  // a line kind from a newer minor version
      return **event;
    }
    // current_location() fails exactly when the whole line was consumed.
    if (!doc.current_location().error()) return fail("corrupt line: unexpected content after the JSON object");
    if (!have_stream || !have_record) return fail("corrupt record line: needs \"s\" and \"r\"");
    DECANT_TRY(handle_record());
    return ArchiveEvent::kRecord;
  }
}

Status ArchiveReader::handle_record() {
  if (!last_state_ || last_state_->info.name != stream_name_) {
    auto it = streams_.find(stream_name_);
    if (it == streams_.end()) return fail("record for stream \"" + stream_name_ + "\" before its stream line");
    last_state_ = it->second.get();
  }
  if (last_state_->ended) return fail("record for stream \"" + stream_name_ + "\" after its end line");
  // Lines decant wrote are canonical already: then the bytes read are hashed as they are.
  if (parser_->proof.holds && parser_->proof.length == raw_record_.size()) {
    canonical_view_ = raw_record_;
  } else {
    canonical_.clear();
    encode_record(record_, canonical_);
    canonical_view_ = canonical_;
  }
  record_hash_ = hash_record_bytes(canonical_view_);
  last_state_->digest.add(record_hash_);
  ++last_state_->count;
  total_digest_.add(record_hash_);
  ++total_records_;
  current_stream_ = &last_state_->info;
  return Status::ok();
}

Status ArchiveReader::check_totals(const std::string& what, int64_t declared_count,
                                   const std::string& declared_digest, int64_t count, const Digest& digest) {
  Digest declared;
  if (!parse_digest_hex(declared_digest, declared)) return fail(what + ": malformed digest \"" + declared_digest + "\"");
  if (declared_count == count && declared == digest) return Status::ok();
  digests_mismatched_ = true;
  if (!options_.strict_digests) return Status::ok();
  if (declared_count != count)
    return fail(what + ": count mismatch: the archive says " + std::to_string(declared_count) + " records, it holds " +
                std::to_string(count));
  return fail(what + ": digest mismatch: the archive says " + declared_digest + ", its records hash to " +
              digest.hex());
}

Result<std::optional<ArchiveEvent>> ArchiveReader::handle_other(std::string_view line, const std::string& kind) {
  if (nests_deeper_than(line, kMaxNestingDepth))
    return fail("corrupt line: nesting deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("corrupt line: malformed JSON");
  if (kind == "stream") {
    auto state = std::make_unique<StreamState>();
    std::string error;
    if (!from_json(j, state->info, error)) return fail("malformed stream line: " + error);
    if (streams_.count(state->info.name)) return fail("duplicate stream \"" + state->info.name + "\"");
    current_stream_ = &state->info;
    streams_[state->info.name] = std::move(state);
    return std::optional(ArchiveEvent::kStream);
  }
  if (kind == "end") {
    std::string name = string_member(j, "s");
    auto it = streams_.find(name);
    if (it == streams_.end()) return fail("end line for unknown stream \"" + name + "\"");
    StreamState& state = *it->second;
    if (state.ended) return fail("second end line for stream \"" + name + "\"");
    if (!j.contains("count") || !j["count"].is_number_integer() || !j.contains("digest") || !j["digest"].is_string())
      return fail("malformed end line: needs integer \"count\" and string \"digest\"");
    totals_ = StreamTotals();
    totals_.name = name;
    totals_.count = state.count;
    totals_.digest = state.digest;
    totals_.declared_count = j["count"].get<int64_t>();
    parse_digest_hex(j["digest"].get<std::string>(), totals_.declared_digest);
    totals_.unread_records = state.unread_records;
    if (!state.unread_records)
      DECANT_TRY(check_totals("stream \"" + name + "\"", totals_.declared_count, j["digest"].get<std::string>(),
                            state.count, state.digest));
    state.ended = true;
    ended_.push_back(totals_);
    current_stream_ = &state.info;
    return std::optional(ArchiveEvent::kEndStream);
  }
  if (kind == "trailer") {
    for (const auto& [name, state] : streams_)
      if (!state->ended) return fail("trailer before the end line of stream \"" + name + "\"");
    if (!j.contains("records") || !j["records"].is_number_integer() || !j.contains("digest") ||
        !j["digest"].is_string() || !j.contains("streams") || !j["streams"].is_number_integer())
      return fail("malformed trailer: needs integer \"streams\" and \"records\" and string \"digest\"");
    if (j["streams"].get<int64_t>() != static_cast<int64_t>(streams_.size()) && options_.strict_digests)
      return fail("trailer says " + std::to_string(j["streams"].get<int64_t>()) + " streams, the archive holds " +
                  std::to_string(streams_.size()));
    // After a seek the records before it were not read: the trailer cannot be checked.
    if (first_line_ == 1)
      DECANT_TRY(check_totals("trailer", j["records"].get<int64_t>(), j["digest"].get<std::string>(), total_records_,
                              total_digest_));
    trailer_seen_ = true;
    return std::optional(ArchiveEvent::kTrailer);
  }
  if (kind == "header") return fail("a second header line");
  if (header_minor_ > kFormatMinor) return std::optional<ArchiveEvent>();
  return fail("unknown line kind \"" + kind + "\"");
}

}  // namespace decant
