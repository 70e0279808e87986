#include "cli/commands.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>

#include "cli/archive_files.h"
#include "cli/backend_flags.h"
#include "cli/config_file.h"
#include "cli/jq_filter.h"
#include "cli/migrate.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "export/export.h"
#include "format/compare.h"
#include "format/uri.h"
#include "format/value_codec.h"
#include "import/import.h"

namespace decant::cli {

namespace {

using Clock = std::chrono::steady_clock;

void say(const std::string& message) { std::fprintf(stderr, "decant: %s\n", message.c_str()); }

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void on_signal(int) {
  if (interrupt_requested()) {
    // Second signal: leave now, without a partial output file.
    remove_pending_temp_files_from_signal_handler();
    _exit(kExitInterrupted);
  }
  request_interrupt();
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads return EINTR and see the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed pipe becomes a write error, reported and cleaned up
}

// ---------------------------------------------------------------- shared flags

struct SelectionFlags {
  std::vector<std::string> only, exclude, renames;

  void add_to(CLI::App* cmd) {
    // One value per flag: CLI11 would otherwise split "[a,b]" into a list, mangling globs and
    // names with brackets, and let "--only A sqlite:x" take the URI as a second glob.
    cmd->add_option("--only", only, "Take only streams matching this glob (repeatable)")->allow_extra_args(false);
    cmd->add_option("--exclude", exclude, "Leave out streams matching this glob (repeatable)")->allow_extra_args(false);
    cmd->add_option("--rename-stream", renames, "Rename a stream, FROM=TO (repeatable)")->allow_extra_args(false);
  }
  Result<StreamSelection> build() const {
    StreamSelection s;
    for (const auto& g : only) s.only(g);
    for (const auto& g : exclude) s.exclude(g);
    for (const auto& r : renames) DECANT_TRY(s.add_rename(r));
    return s;
  }
};

struct ReportFlags {
  std::string progress = "auto";
  double interval = -1;  // seconds; -1: a quarter second on a terminal, one second as JSON
  std::string report_path;
  bool quiet = false;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--progress", progress,
                    "Progress on stderr: auto (when it is a terminal), on, off, json (one object a line)")
        ->check(CLI::IsMember({"auto", "on", "off", "json"}));
    cmd->add_option("--progress-interval", interval, "Seconds between progress updates")->check(CLI::Range(0.0, 3600.0));
    cmd->add_option("--report", report_path, "Write the final report to FILE as JSON (also on failure)");
    cmd->add_flag("-q,--quiet", quiet, "No progress (unless --progress json) and no summary; errors only");
  }
  std::unique_ptr<Progress> make(const std::string& verb) const {
    bool json = progress == "json";
    bool on = json || (!quiet && (progress == "on" || (progress == "auto" && isatty(STDERR_FILENO))));
    if (!on) return nullptr;
    double seconds = interval >= 0 ? interval : json ? 1.0 : 0.25;
    return std::make_unique<Progress>(verb, json ? ProgressStyle::kJson : ProgressStyle::kTerminal,
                                      std::chrono::milliseconds(int64_t(seconds * 1000)));
  }
  // Writes the report when one was asked for. The command's own failure wins over the report's.
  Status finish(nlohmann::json facts, Status status, Clock::time_point start) const {
    if (report_path.empty()) return status;
    Status written = write_report(report_path, std::move(facts), status, start);
    return status ? std::move(written) : std::move(status);
  }
};

std::string source_owner(const SourceBackend& backend) { return backend.scheme + " source"; }
std::string sink_owner(const SinkBackend& backend) { return backend.scheme + " target"; }

void declare_source_flags(BackendFlags& flags) {
  for (const SourceBackend& b : builtin_sources().all()) flags.declare(source_owner(b), b.options);
}

// Opens the source `uri` names with the backend options given for it. With `strict`, an
// option of another backend is a usage error (diff, with two sources, is not strict).
Result<std::unique_ptr<Source>> open_source(const std::string& uri, const BackendFlags& flags, bool strict,
                                            bool quiet = false) {
  const SourceBackend* backend = builtin_sources().find(uri);
  if (!backend) return Status::usage("no source backend for \"" + redact_uri(uri) + "\" (see `decant backends`)");
  Result<nlohmann::json> settings = flags.settings_for(source_owner(*backend), backend->options, strict);
  if (!settings) return settings.take_status();
  SourceOptions options{std::move(settings.value())};
  options.note = [quiet](const std::string& message) {
    if (!quiet) say(message);
  };
  Result<std::unique_ptr<Source>> source = backend->open(uri, options);
  if (!source) return source.take_status().context(redact_uri(uri));
  return source;
}

// ---------------------------------------------------------------- export

struct ExportCommand {
  std::string source;
  OutputOptions output;
  std::string compress = "auto";
  SelectionFlags selection;
  ReportFlags report;
  BackendFlags backend_flags;

  void add_to(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("export", "Drain a source into an archive");
    cmd->add_option("SOURCE", source, "sqlite:FILE (or a bare path), ...")->required()->envname("DECANT_SOURCE");
    cmd->add_option("-o,--output", output.path, "Archive file, or - for stdout (default)");
    cmd->add_flag("-f,--force", output.force, "Overwrite an existing output file");
    cmd->add_option("--compress", compress, "auto (zstd when the name ends in .zst), none, zstd")
        ->check(CLI::IsMember({"auto", "none", "zstd"}));
    cmd->add_option("--level", output.level, "zstd level (default 3)")->check(CLI::Range(1, 19));
    cmd->add_option("--threads", output.threads, "Compression threads (default: all cores)")->check(CLI::Range(0, 256));
    selection.add_to(cmd);
    report.add_to(cmd);
    declare_source_flags(backend_flags);
    backend_flags.add_to(cmd);
    cmd->callback([this] { throw_if_failed(run()); });
  }

  Status run() {
    auto start = Clock::now();
    nlohmann::json facts = {{"command", "export"}, {"source", redact_uri(source)}, {"output", output.path}};
    Status status = execute(facts, start);
    return report.finish(std::move(facts), std::move(status), start);
  }

  Status execute(nlohmann::json& facts, Clock::time_point start) {
    output.compression = compress == "zstd" ? Compression::kZstd : compress == "none" ? Compression::kNone
                                                                                       : Compression::kAuto;
    Result<StreamSelection> sel = selection.build();
    if (!sel) return sel.take_status();
    Result<std::unique_ptr<Source>> src = open_source(source, backend_flags, true, report.quiet);
    if (!src) return src.take_status();
    Result<std::unique_ptr<ArchiveOutput>> out = ArchiveOutput::open(output);
    if (!out) return out.take_status();
    ArchiveWriter writer((*out)->sink());
    auto progress = report.make("exporting");
    ExportSummary summary;
    Status status = export_archive(**src, writer, *sel, progress.get(), summary);
    if (progress) progress->done();
    facts["streams"] = summary.streams;
    facts["records"] = writer.records_written();
    facts["bytes"] = writer.bytes_written();
    if (!status) return status;
    if (!report.quiet)
      say("exported " + std::to_string(summary.streams) + " streams, " + with_commas(summary.records) + " records (" +
          human_bytes(double(summary.bytes)) + " uncompressed) from " + redact_uri(source) + " to " + (*out)->name() +
          " in " + std::to_string(seconds_since(start)).substr(0, 5) + " s");
    return Status::ok();
  }

  static void throw_if_failed(Status status);
};

// CLI11 callbacks cannot return values: failures travel as this exception to run().
struct CommandFailed {
  Status status;
};

void ExportCommand::throw_if_failed(Status status) {
  if (!status) throw CommandFailed{std::move(status)};
}
void check(Status status) { ExportCommand::throw_if_failed(std::move(status)); }

// ---------------------------------------------------------------- import

struct ImportCommand {
  std::string target;
  std::string input = "-";
  std::string conflict = "error";
  std::string txn;  // empty: the target's first offered mode
  bool drop = false, truncate = false, transformed = false, dry_run = false, resume = false;
  size_t max_line_bytes = ReaderOptions().max_line_bytes;
  int64_t max_errors = -1;
  int retries = 3;
  std::string rejects_path;
  std::string jq;
  SelectionFlags selection;
  ReportFlags report;
  BackendFlags backend_flags;

  void add_to(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("import", "Replay an archive into a target");
    cmd->add_option("TARGET", target, "sqlite:FILE (or a bare path), ...")->required()->envname("DECANT_TARGET");
    cmd->add_option("-i,--input", input, "Archive file, or - for stdin (default)");
    cmd->add_option("--conflict", conflict, "On an existing key: error, skip, replace, merge")
        ->check(CLI::IsMember({"error", "skip", "replace", "merge"}));
    cmd->add_option("--txn", txn, "Transactions: single (whole archive), stream, batch (default: the target's first mode, see `decant backends`)")
        ->check(CLI::IsMember({"single", "stream", "batch"}));
    cmd->add_flag("--drop", drop, "Drop existing tables before loading");
    cmd->add_flag("--truncate", truncate, "Empty existing tables before loading");
    cmd->add_flag("--transformed", transformed,
                  "The archive went through a transform: its counts and digests are informational");
    cmd->add_option("--jq", jq,
                    "Transform: pass the archive's lines through `jq -c FILTER` before importing (implies --transformed)");
    cmd->add_flag("--dry-run", dry_run, "Read and check the whole archive against the target; write nothing");
    cmd->add_flag("--resume", resume,
                  "Continue an interrupted import (--txn batch or stream) after the checkpoint it left in the target");
    cmd->add_option("--max-line-bytes", max_line_bytes, "Refuse archive lines longer than this");
    cmd->add_option("--max-errors", max_errors,
                    "Reject up to N records the target refuses instead of failing (batches are isolated)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--retries", retries,
                    "Try again up to N times after a transient failure (lost connection, server restarting), "
                    "with backoff from 0.5 s (default 3)")
        ->check(CLI::Range(0, 100));
    cmd->add_option("--rejects", rejects_path, "With --max-errors: write each rejected record, its line and error, to FILE");
    selection.add_to(cmd);
    report.add_to(cmd);
    for (const SinkBackend& b : builtin_sinks().all()) backend_flags.declare(sink_owner(b), b.options);
    backend_flags.add_to(cmd);
    cmd->callback([this] { check(run()); });
  }

  Status run() {
    auto start = Clock::now();
    nlohmann::json facts = {{"command", "import"}, {"target", redact_uri(target)}, {"input", input},
                            {"options", {{"conflict", conflict}, {"dry_run", dry_run}, {"drop", drop},
                                         {"truncate", truncate}, {"transformed", transformed || !jq.empty()}}}};
    if (!jq.empty()) facts["options"]["jq"] = jq;
    Status status = execute(facts, start);
    return report.finish(std::move(facts), std::move(status), start);
  }

  Status execute(nlohmann::json& facts, Clock::time_point start) {
    Result<StreamSelection> sel = selection.build();
    if (!sel) return sel.take_status();
    const SinkBackend* backend = builtin_sinks().find(target);
    if (!backend) return Status::usage("no target backend for \"" + redact_uri(target) + "\" (see `decant backends`)");
    SinkOptions options;
    options.drop = drop;
    options.truncate = truncate;
    options.conflict = conflict == "skip" ? ConflictPolicy::kSkip
                       : conflict == "replace" ? ConflictPolicy::kReplace
                       : conflict == "merge"   ? ConflictPolicy::kMerge
                                               : ConflictPolicy::kError;
    options.txn = txn == "stream" ? TxnMode::kStream : txn == "batch" ? TxnMode::kBatch : TxnMode::kSingle;
    if (txn.empty() && !backend->txn_modes.empty()) options.txn = backend->txn_modes.front();
    options.dry_run = dry_run;
    options.note = [this](const std::string& message) {
      if (!report.quiet) say(message);
    };
    std::map<std::string, std::string> left_out;  // stream -> why the target does not store it
    options.left_out = [this, &left_out](const std::string& stream, const std::string& reason) {
      if (left_out.emplace(stream, reason).second && !report.quiet) say("stream \"" + stream + "\" left out: " + reason);
    };
    facts["options"]["txn"] = txn_mode_name(options.txn);
    DECANT_TRY(check_offered(*backend, options));
    Result<nlohmann::json> settings = backend_flags.settings_for(sink_owner(*backend), backend->options, true);
    if (!settings) return settings.take_status();
    options.settings = std::move(settings.value());

    ImportOptions import_options;
    import_options.max_errors = max_errors;
    import_options.resume = resume;
    import_options.batch_rows = options.batch_rows;
    import_options.batch_bytes = options.batch_bytes;
    if (!rejects_path.empty() && max_errors < 0) return Status::usage("--rejects needs --max-errors");
    std::unique_ptr<AtomicFileSink> rejects;
    if (!rejects_path.empty()) {
      Result<std::unique_ptr<AtomicFileSink>> file = AtomicFileSink::create(rejects_path, true);
      if (!file) return file.take_status().context("rejects");
      rejects = std::move(file.value());
      import_options.reject = [&rejects](const RejectedRecord& r, std::string_view text) {
        nlohmann::json head = {{"line", r.line}, {"stream", r.stream}, {"error", r.error}};
        std::string line = head.dump();
        line.pop_back();  // the record goes in unchanged, as the last member
        line.append(",\"record\":").append(text).append("}\n");
        return rejects->write(line).context("rejects");
      };
    }

    ImportSummary summary;
    uint64_t bytes_read = 0;
    // Trying again is safe when the input can be read again and the target either undid
    // everything (one transaction) or continues after its checkpoint.
    bool can_retry = input != "-" && (backend->resumable || options.txn == TxnMode::kSingle);
    double delay = 0.5;
    int attempt = 0;
    Status status;
    for (;; ++attempt) {
      summary = ImportSummary();
      status = import_once(*backend, options, *sel, import_options, facts, summary, bytes_read);
      if (status || !status.is_transient() || !can_retry || attempt >= retries || interrupt_requested()) break;
      bool resumes = backend->resumable && !options.dry_run;
      if (!report.quiet)
        say("transient failure: " + status.message() + "; retry " + std::to_string(attempt + 1) + " of " +
            std::to_string(retries) + " in " + std::to_string(delay).substr(0, 3) + " s" +
            (resumes ? ", after the target's checkpoint" : ""));
      usleep(useconds_t(delay * 1e6));
      delay = std::min(delay * 2, 8.0);
      if (resumes) import_options.resume = true;
    }
    facts["retries"] = attempt;
    // Kept whether or not the import succeeded: it explains why.
    if (rejects) DECANT_TRY(rejects->finish().context("rejects"));
    if (max_errors >= 0) add_rejects(facts, summary);
    int64_t records_left_out = 0;
    for (const ImportedStream& s : summary.streams)
      if (left_out.count(s.name)) records_left_out += s.records;
    facts["records"] = summary.records - records_left_out;
    facts["records_left_out"] = records_left_out;
    facts["bytes"] = bytes_read;
    facts["transformed"] = summary.transformed;
    if (import_options.resume) facts["resumed"] = {{"after_line", summary.resumed_after_line}, {"records", summary.resumed_records}};
    facts["streams"] = nlohmann::json::array();
    for (const ImportedStream& s : summary.streams) {
      nlohmann::json stream = {{"name", s.name}, {"records", s.records}, {"digest", s.digest.hex()},
                               {"matches_archive", s.matches_archive}, {"unread_records", s.unread_records}};
      if (auto it = left_out.find(s.name); it != left_out.end()) stream["left_out"] = it->second;
      facts["streams"].push_back(std::move(stream));
    }
    if (!status) {
      if (status.side() == Side::kUsage) return status;
      // Only one transaction for the whole archive undoes everything; stream and batch modes
      // keep what they committed before the failure.
      std::string kept = options.txn == TxnMode::kSingle || options.dry_run
                             ? " (nothing was committed to " + redact_uri(target) + ")"
                             : " (what was committed to " + redact_uri(target) + " before the failure stays there: --txn " +
                                   txn_mode_name(options.txn) + ")";
      return Status::error(status.side(), status.message() + kept);
    }
    if (report.quiet) return Status::ok();
    say(std::string(dry_run ? "dry run: would import " : "imported ") + std::to_string(summary.streams.size() - left_out.size()) +
        " streams, " + with_commas(summary.records - records_left_out) + " records into " + redact_uri(target) + " (txn " +
        txn_mode_name(options.txn) + ", conflict " + conflict + ") in " + std::to_string(seconds_since(start)).substr(0, 5) + " s" +
        (dry_run ? "; nothing was written" : ""));
    if (!left_out.empty())
      say("left out " + std::to_string(left_out.size()) + " streams, " + with_commas(records_left_out) +
          " records, that this target does not store");
    if (facts.contains("seek"))
      say("seeked to zstd frame " + facts["seek"]["frame"].dump() + " of " + facts["seek"]["frames"].dump() +
          " (archive line " + facts["seek"]["from_line"].dump() +
          "): the lines before it were not read again, so the end lines and trailer were not checked "
          "against their records (`decant verify` checks the whole archive)");
    if (import_options.resume)
      say(summary.resumed_after_line > 0
              ? "resumed after archive line " + with_commas(summary.resumed_after_line) + ": " +
                    with_commas(summary.resumed_records) + " records were already imported"
              : "no checkpoint in the target: imported from the start");
    if (summary.rejected > 0)
      say("rejected " + with_commas(summary.rejected) + " records in " + with_commas(summary.batches_failed) +
          " failed batches" + (rejects_path.empty() ? "" : " (see " + rejects_path + ")"));
    if (summary.transformed) {
      say("the archive's counts or digests differ from its records (a transformed archive); written:");
      for (const ImportedStream& s : summary.streams)
        say("  " + s.name + ": " + with_commas(s.records) + " records, digest " + s.digest.hex() +
            (s.matches_archive ? "" : " (differs from the archive's end line)"));
    }
    return Status::ok();
  }

  // One pass over the archive into a freshly opened target.
  Status import_once(const SinkBackend& backend, const SinkOptions& options, const StreamSelection& selection,
                     const ImportOptions& import_options, nlohmann::json& facts, ImportSummary& summary,
                     uint64_t& bytes_read) {
    // A resume first asks the target where it stands, to seek there in a zstd archive.
    std::unique_ptr<Sink> sink;
    std::optional<SeekingInput> seeking;
    facts.erase("seek");
    if (import_options.resume) {
      Result<std::unique_ptr<Sink>> opened = backend.open(target, options);
      if (!opened) return opened.take_status().context(redact_uri(target));
      sink = std::move(*opened);
      Result<std::optional<Checkpoint>> stored = sink->stored_checkpoint();
      if (!stored) return stored.take_status();
      // jq's output is not the file the frame index describes.
      if (stored->has_value() && jq.empty()) {
        Result<std::optional<SeekingInput>> at = open_archive_input_after(input, (*stored)->line, max_line_bytes);
        if (!at) return at.take_status();
        seeking = std::move(*at);
      }
    }
    std::unique_ptr<ByteSource> in;
    if (seeking) {
      in = std::move(seeking->source);
    } else {
      Result<std::unique_ptr<ByteSource>> opened = open_archive_input(input);
      if (!opened) return opened.take_status();
      in = std::move(*opened);
    }
    ZstdSource* zstd = dynamic_cast<ZstdSource*>(in.get());
    if (!jq.empty()) {
      Result<std::unique_ptr<JqSource>> filtered = JqSource::start(std::move(in), jq);
      if (!filtered) return filtered.take_status();
      in = std::move(*filtered);
    }
    ReaderOptions reader_options;
    reader_options.max_line_bytes = max_line_bytes;
    reader_options.strict_digests = !transformed && jq.empty();
    ArchiveReader reader(*in, input == "-" ? "<stdin>" : input, reader_options);
    DECANT_TRY(seeking ? reader.open_at(seeking->index, seeking->frame) : reader.open());
    auto id = reader.header().find("archive_id");
    facts["archive_id"] = id != reader.header().end() ? *id : nlohmann::json(nullptr);
    if (seeking)
      facts["seek"] = {{"frame", seeking->frame}, {"frames", seeking->index.frames.size()},
                       {"from_line", reader.first_line()}};

    if (!sink) {
      Result<std::unique_ptr<Sink>> opened = backend.open(target, options);
      if (!opened) return opened.take_status().context(redact_uri(target));
      sink = std::move(*opened);
    }
    auto progress = report.make("importing");
    if (progress) progress->expect(-1, archive_text_bytes(input));
    Status status = import_archive(reader, *sink, selection, progress.get(), summary, import_options);
    if (progress) progress->done();
    if (zstd) facts["zstd_frames_decompressed"] = zstd->frames_decompressed();
    bytes_read = reader.bytes_read();
    return status;
  }

  static void add_rejects(nlohmann::json& facts, const ImportSummary& summary) {
    facts["batches"] = {{"ok", summary.batches_ok}, {"failed", summary.batches_failed}};
    facts["records_failed"] = summary.rejected;
    nlohmann::json by_type = nlohmann::json::array();
    for (const auto& [type, count] : summary.errors_by_type) by_type.push_back({{"type", type}, {"count", count}});
    nlohmann::json first = nlohmann::json::array();
    for (const RejectedRecord& r : summary.first_errors)
      first.push_back({{"line", r.line}, {"stream", r.stream}, {"error", r.error}});
    facts["errors"] = {{"by_type", by_type}, {"first", first}};
  }

  Status check_offered(const SinkBackend& backend, const SinkOptions& options) const {
    bool txn_ok = false, conflict_ok = false;
    std::string txns, conflicts;
    for (TxnMode m : backend.txn_modes) {
      txn_ok |= m == options.txn;
      txns += std::string(txns.empty() ? "" : ", ") + txn_mode_name(m);
    }
    for (ConflictPolicy p : backend.conflict_policies) {
      conflict_ok |= p == options.conflict;
      conflicts += std::string(conflicts.empty() ? "" : ", ") + conflict_policy_name(p);
    }
    if (!txn_ok)
      return Status::usage(backend.scheme + " does not offer --txn " + txn_mode_name(options.txn) + " (it offers " +
                           txns + ")");
    if (!conflict_ok)
      return Status::usage(backend.scheme + " does not offer --conflict " + conflict_policy_name(options.conflict) +
                           " (it offers " + conflicts + ")");
    if (options.dry_run && !backend.dry_run) return Status::usage(backend.scheme + " does not offer --dry-run");
    if (resume && !backend.resumable) return Status::usage(backend.scheme + " does not offer --resume");
    if (resume && (options.drop || options.truncate || options.dry_run))
      return Status::usage("--resume continues an import: it cannot be combined with --drop, --truncate or --dry-run");
    if (max_errors >= 0 && !backend.isolates_batches)
      return Status::usage(backend.scheme + " does not offer --max-errors (it cannot undo a failed batch)");
    return Status::ok();
  }
};

// ---------------------------------------------------------------- inspect / verify

struct StreamStats {
  StreamInfo info;
  int64_t records = 0;
  uint64_t bytes = 0;
  bool ended = false;
  bool matches = true;
};

// Reads a whole archive, collecting per-stream statistics in order of appearance.
Status scan_archive(const std::string& path, bool strict, nlohmann::json& header, std::vector<StreamStats>& stats,
                    uint64_t& uncompressed_bytes) {
  Result<std::unique_ptr<ByteSource>> in = open_archive_input(path);
  if (!in) return in.take_status();
  ReaderOptions options;
  options.strict_digests = strict;
  ArchiveReader reader(**in, path == "-" ? "<stdin>" : path, options);
  DECANT_TRY(reader.open());
  header = reader.header();
  std::map<std::string, size_t> index;
  uint64_t last_bytes = reader.bytes_read();
  for (;;) {
    Result<ArchiveEvent> event = reader.next();
    uncompressed_bytes = reader.bytes_read();
    if (!event) return event.take_status();
    if (*event == ArchiveEvent::kEnd) break;
    uint64_t line_bytes = reader.bytes_read() - last_bytes;
    last_bytes = reader.bytes_read();
    if (*event == ArchiveEvent::kStream) {
      index[reader.stream().name] = stats.size();
      stats.push_back(StreamStats{reader.stream(), 0, line_bytes, false, true});
    } else if (*event == ArchiveEvent::kRecord) {
      StreamStats& s = stats[index[reader.stream().name]];
      ++s.records;
      s.bytes += line_bytes;
    } else if (*event == ArchiveEvent::kEndStream) {
      StreamStats& s = stats[index[reader.totals().name]];
      s.ended = true;
      s.matches = reader.totals().matches();
      s.bytes += line_bytes;
    }
  }
  return Status::ok();
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return path != "-" && ::stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

struct InspectCommand {
  std::string path;
  bool json_output = false;

  void add_to(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("inspect", "Show an archive's header, streams, counts and sizes");
    cmd->add_option("FILE", path, "Archive file, or - for stdin")->required();
    cmd->add_flag("--json", json_output, "Print the report as one JSON object");
    cmd->callback([this] { check(run()); });
  }

  Status run() {
    nlohmann::json header;
    std::vector<StreamStats> stats;
    uint64_t uncompressed = 0;
    Status scanned = scan_archive(path, false, header, stats, uncompressed);
    if (!scanned && header.is_null()) return scanned;
    uint64_t stored = file_size(path);
    size_t frames = 0;
    if (path != "-") {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        Result<std::vector<SeekTableEntry>> table = read_seek_table(fd);
        // The frame index enters the seek table as a frame without content: not a data frame.
        if (table)
          frames = size_t(std::count_if(table->begin(), table->end(),
                                        [](const SeekTableEntry& e) { return e.decompressed_size > 0; }));
        ::close(fd);
      }
    }
    if (json_output) {
      nlohmann::json streams = nlohmann::json::array();
      for (const StreamStats& s : stats)
        streams.push_back({{"name", s.info.name}, {"kind", s.info.kind}, {"columns", s.info.columns.size()},
                           {"key", s.info.key}, {"records", s.records}, {"bytes", s.bytes},
                           {"complete", s.ended}, {"digest_matches", s.matches}});
      nlohmann::json report = {{"header", header}, {"streams", streams}, {"uncompressed_bytes", uncompressed},
                               {"file_bytes", stored}, {"zstd_frames", frames}, {"complete", bool(scanned)}};
      std::cout << report.dump(2) << "\n";
    } else {
      std::printf("archive   %s\n", path.c_str());
      std::printf("format    %s %s, written by %s at %s\n", header.value("format", "?").c_str(),
                  header.value("version", "?").c_str(), header.value("producer", "?").c_str(),
                  header.value("created", "?").c_str());
      std::printf("id        %s\n", header.value("archive_id", "?").c_str());
      const nlohmann::json& source = header.contains("source") ? header["source"] : nlohmann::json::object();
      std::printf("source    %s %s\n", source.value("backend", "?").c_str(), source.value("location", "?").c_str());
      std::printf("snapshot  %s\n", header.contains("snapshot") ? header["snapshot"].dump().c_str() : "null");
      std::printf("size      %s uncompressed", human_bytes(double(uncompressed)).c_str());
      if (stored && stored != uncompressed)
        std::printf(", %s stored (%.2fx, %zu zstd frames)", human_bytes(double(stored)).c_str(),
                    double(uncompressed) / double(stored), frames);
      std::printf("\n\n%-32s %-10s %8s %14s %12s  %s\n", "stream", "kind", "columns", "records", "bytes", "key");
      int64_t total = 0;
      for (const StreamStats& s : stats) {
        std::string key;
        for (const std::string& k : s.info.key) key += (key.empty() ? "" : ",") + k;
        std::printf("%-32s %-10s %8zu %14s %12s  %s%s\n", s.info.name.c_str(), s.info.kind.c_str(),
                    s.info.columns.size(), with_commas(s.records).c_str(), human_bytes(double(s.bytes)).c_str(),
                    key.c_str(), !s.ended ? "  (no end line)" : s.matches ? "" : "  (DIGEST MISMATCH)");
        total += s.records;
      }
      std::printf("%-32s %-10s %8s %14s\n", "total", "", "", with_commas(total).c_str());
    }
    return scanned;
  }
};

struct VerifyCommand {
  std::string path;
  size_t max_line_bytes = ReaderOptions().max_line_bytes;

  void add_to(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("verify", "Check an archive's framing, counts and digests");
    cmd->add_option("FILE", path, "Archive file, or - for stdin")->required();
    cmd->add_option("--max-line-bytes", max_line_bytes, "Refuse archive lines longer than this");
    cmd->callback([this] { check(run()); });
  }

  Status run() {
    Result<std::unique_ptr<ByteSource>> in = open_archive_input(path);
    if (!in) return in.take_status();
    ReaderOptions options;
    options.max_line_bytes = max_line_bytes;
    ArchiveReader reader(**in, path == "-" ? "<stdin>" : path, options);
    DECANT_TRY(reader.open());
    int64_t records = 0;
    for (;;) {
      if (interrupt_requested()) return interrupted_status();
      Result<ArchiveEvent> event = reader.next();
      if (!event) return event.take_status();
      if (*event == ArchiveEvent::kEnd) break;
      if (*event == ArchiveEvent::kRecord) ++records;
    }
    for (const StreamTotals& t : reader.ended_streams())
      std::printf("ok  %-32s %14s records  %s\n", t.name.c_str(), with_commas(t.count).c_str(), t.digest.hex().c_str());
    std::printf("verified %s: %zu streams, %s records, %s\n", path.c_str(), reader.ended_streams().size(),
                with_commas(records).c_str(), human_bytes(double(reader.bytes_read())).c_str());
    return Status::ok();
  }
};

// ---------------------------------------------------------------- diff

Status summarize(const std::string& what, const StreamSelection& selection, const BackendFlags& flags,
                 ContentSummary& summary) {
  if (looks_like_archive(what)) {
    Result<std::unique_ptr<ByteSource>> in = open_archive_input(what);
    if (!in) return in.take_status();
    ReaderOptions options;
    options.strict_digests = false;  // diff compares content; a transformed archive is fine
    ArchiveReader reader(**in, what == "-" ? "<stdin>" : what, options);
    DECANT_TRY(reader.open());
    for (;;) {
      if (interrupt_requested()) return interrupted_status();
      Result<ArchiveEvent> event = reader.next();
      if (!event) return event.take_status();
      if (*event == ArchiveEvent::kEnd) return Status::ok();
      if (*event != ArchiveEvent::kStream && *event != ArchiveEvent::kRecord) continue;
      const std::string& name = reader.stream().name;
      if (!selection.selected(name)) continue;
      if (*event == ArchiveEvent::kStream)
        summary.begin_stream(selection.renamed(name), reader.stream());
      else
        summary.add(selection.renamed(name), reader.record(), reader.canonical_record(), reader.record_hash());
    }
  }
  Result<std::unique_ptr<Source>> source = open_source(what, flags, false);
  if (!source) return source.take_status();
  Result<std::vector<StreamInfo>> streams = (*source)->streams();
  if (!streams) return streams.take_status();
  std::string canonical;
  for (const StreamInfo& stream : *streams) {
    if (!selection.selected(stream.name)) continue;
    std::string name = selection.renamed(stream.name);
    summary.begin_stream(name, stream);
    DECANT_TRY((*source)->read(stream, [&](const Record& record) -> Status {
      if (interrupt_requested()) return interrupted_status();
      canonical.clear();
      encode_record(record, canonical);
      summary.add(name, record, canonical, hash_record_bytes(canonical));
      return Status::ok();
    }));
  }
  return Status::ok();
}

struct DiffCommand {
  std::string a, b;
  size_t records = 0;
  SelectionFlags selection;
  BackendFlags backend_flags;
  bool differ = false;

  void add_to(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("diff", "Compare two archives or live sources, stream by stream");
    cmd->add_option("A", a, "Archive file or source")->required();
    cmd->add_option("B", b, "Archive file or source")->required();
    cmd->add_option("--records", records, "Name up to N differing records (by key)");
    selection.add_to(cmd);
    declare_source_flags(backend_flags);
    backend_flags.add_to(cmd);
    cmd->callback([this] { check(run()); });
  }

  Status run() {
    Result<StreamSelection> sel = selection.build();
    if (!sel) return sel.take_status();
    ContentSummary sa(records > 0), sb(records > 0);
    DECANT_TRY(summarize(a, *sel, backend_flags, sa).context("A"));
    DECANT_TRY(summarize(b, *sel, backend_flags, sb).context("B"));
    std::vector<RecordDifference> record_diffs;
    std::vector<StreamDifference> diffs = compare_summaries(sa, sb, records, record_diffs);
    std::printf("%-32s %14s %14s  %s\n", "stream", "A records", "B records", "result");
    size_t unequal = 0;
    for (const StreamDifference& d : diffs) {
      std::string result = d.equal ? "equal" : d.count_a < 0 ? "only in B" : d.count_b < 0 ? "only in A" : "DIFFERENT";
      if (!d.equal) ++unequal;
      std::printf("%-32s %14s %14s  %s\n", d.name.c_str(), d.count_a < 0 ? "-" : with_commas(d.count_a).c_str(),
                  d.count_b < 0 ? "-" : with_commas(d.count_b).c_str(), result.c_str());
    }
    for (const RecordDifference& r : record_diffs)
      std::printf("  %-10s %s %s\n", r.what.c_str(), r.stream.c_str(), r.identity.c_str());
    if (unequal == 0) {
      std::printf("equal: %zu streams\n", diffs.size());
    } else {
      std::printf("different: %zu of %zu streams differ\n", unequal, diffs.size());
      differ = true;
    }
    return Status::ok();
  }
};

// ---------------------------------------------------------------- backends

void print_options(const std::vector<BackendOption>& options) {
  for (const BackendOption& o : options) std::printf("  %-10s   --%s: %s\n", "", o.flag.c_str(), o.help.c_str());
}

void print_backends() {
  std::printf("sources (export, diff)\n");
  for (const SourceBackend& b : builtin_sources().all()) {
    std::printf("  %-10s %s\n  %-10s %s\n", (b.scheme + ":").c_str(), b.summary.c_str(), "", b.capabilities.c_str());
    print_options(b.options);
  }
  std::printf("targets (import)\n");
  for (const SinkBackend& b : builtin_sinks().all()) {
    std::string txns, conflicts;
    for (TxnMode m : b.txn_modes) txns += std::string(txns.empty() ? "" : ", ") + txn_mode_name(m);
    for (ConflictPolicy p : b.conflict_policies)
      conflicts += std::string(conflicts.empty() ? "" : ", ") + conflict_policy_name(p);
    std::printf("  %-10s %s\n  %-10s %s\n  %-10s --txn %s; --conflict %s%s%s%s\n", (b.scheme + ":").c_str(),
                b.summary.c_str(), "", b.capabilities.c_str(), "", txns.c_str(), conflicts.c_str(),
                b.dry_run ? "; --dry-run" : "", b.isolates_batches ? "; --max-errors" : "", b.resumable ? "; --resume" : "");
    print_options(b.options);
  }
}

}  // namespace

int exit_code_for(const Status& status) {
  switch (status.side()) {
    case Side::kNone: return kExitOk;
    case Side::kUsage: return kExitUsage;
    case Side::kSource: return kExitSource;
    case Side::kTarget: return kExitTarget;
    case Side::kArchive: return kExitArchive;
    case Side::kInterrupted: return kExitInterrupted;
    case Side::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

int run(int argc, char** argv) {
  install_signal_handlers();
  CLI::App app{"decant: move data between databases through one verifiable archive format"};
  app.set_version_flag("--version", std::string("decant ") + DECANT_VERSION);
  app.require_subcommand(1);
  // --config is the app's option; fallthrough lets it follow the subcommand too.
  app.fallthrough();
  app.set_config("--config", "", "Read options from a TOML file: top-level keys for any command, [export], [import], [diff] sections for one");
  app.config_formatter(std::make_shared<CommandConfig>(app));
  ExportCommand export_command;
  ImportCommand import_command;
  InspectCommand inspect_command;
  VerifyCommand verify_command;
  DiffCommand diff_command;
  export_command.add_to(app);
  import_command.add_to(app);
  inspect_command.add_to(app);
  verify_command.add_to(app);
  diff_command.add_to(app);
  MigrateCommand migrate_command;
  migrate_command.add_to(app)->callback([&migrate_command] { check(migrate_command.run()); });
  app.add_subcommand("backends", "List backends and what each really offers")->callback(print_backends);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help or the parse error
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const CommandFailed& failed) {
    std::fflush(stdout);
    say("error: " + failed.status.message());
    return exit_code_for(failed.status);
  } catch (const std::exception& e) {
    say(std::string("error: internal: ") + e.what());
    return kExitInternal;
  }
  std::fflush(stdout);
  return diff_command.differ ? kExitDifferent : kExitOk;
}

}  // namespace decant::cli
