#include "format/compare.h"

#include <algorithm>

#include "format/value_codec.h"

namespace decant {

void ContentSummary::begin_stream(const std::string& name, const StreamInfo& stream) {
  StreamSummary& s = streams_[name];
  s.key = stream.key;
}

void ContentSummary::add(const std::string& stream, const Record& record, std::string_view canonical, Hash128 hash) {
  StreamSummary& s = streams_[stream];
  ++s.count;
  s.digest.add(hash);
  if (!keep_records_) return;
  if (s.key.empty()) {
    s.records.emplace(std::string(canonical), hash);
    return;
  }
  scratch_.clear();
  scratch_ += '{';
  for (size_t i = 0; i < s.key.size(); ++i) {
    if (i) scratch_ += ',';
    encode_string(s.key[i], scratch_);
    scratch_ += ':';
    const Value* v = record.find(s.key[i]);
    encode_value(v ? *v : Value(), scratch_);
  }
  scratch_ += '}';
  s.records.emplace(scratch_, hash);
}

namespace {

void diff_records(const std::string& name, const StreamSummary& a, const StreamSummary& b, size_t max_records,
                  std::vector<RecordDifference>& out) {
  std::vector<RecordDifference> found;
  std::unordered_multimap<std::string, Hash128> remaining = a.records;
  for (const auto& entry_b : b.records) {
    // Not a structured binding: clang before 16 cannot capture one in the lambda below.
    const std::string& identity = entry_b.first;
    const Hash128& hash = entry_b.second;
    auto range = remaining.equal_range(identity);
    auto same = std::find_if(range.first, range.second, [&](const auto& entry) { return entry.second == hash; });
    if (same != range.second) {
      remaining.erase(same);
    } else if (range.first != range.second && !a.key.empty()) {
      found.push_back({name, identity, "changed"});
      remaining.erase(range.first);
    } else {
      found.push_back({name, identity, "only in B"});
    }
  }
  for (const auto& entry : remaining) found.push_back({name, entry.first, "only in A"});
  std::sort(found.begin(), found.end(),
            [](const RecordDifference& x, const RecordDifference& y) { return x.identity < y.identity; });
  for (auto& d : found) {
    if (out.size() >= max_records) break;
    out.push_back(std::move(d));
  }
}

}  // namespace

std::vector<StreamDifference> compare_summaries(const ContentSummary& a, const ContentSummary& b,
                                                size_t max_records, std::vector<RecordDifference>& records) {
  std::map<std::string, StreamDifference> all;
  for (const auto& [name, s] : a.streams()) all[name] = {name, s.count, -1, false};
  for (const auto& [name, s] : b.streams()) {
    StreamDifference& d = all[name];
    d.name = name;
    if (!a.streams().count(name)) d.count_a = -1;
    d.count_b = s.count;
  }
  std::vector<StreamDifference> out;
  for (auto& [name, d] : all) {
    auto ia = a.streams().find(name), ib = b.streams().find(name);
    if (ia != a.streams().end() && ib != b.streams().end()) {
      d.equal = ia->second.count == ib->second.count && ia->second.digest == ib->second.digest;
      if (!d.equal && records.size() < max_records) diff_records(name, ia->second, ib->second, max_records, records);
    }
    out.push_back(d);
  }
  return out;
}

}  // namespace decant
