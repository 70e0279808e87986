#include "cli/migrate.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "export/source.h"
#include "format/byte_io.h"
#include "format/uri.h"
#include "import/import.h"
#include "import/sink.h"

namespace decant::cli {

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

void say(const std::string& message) { std::fprintf(stderr, "decant: %s\n", message.c_str()); }

std::string shown(const std::string& workspace) { return workspace.empty() ? "(default)" : workspace; }

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool declares(const std::vector<BackendOption>& options, const std::string& flag) {
  for (const BackendOption& o : options)
    if (o.flag == flag) return true;
  return false;
}

// What a store holds per workspace, from the stream descriptions of its source: records where
// every stream estimates them, else bytes (the JSON files give sizes, not counts).
struct WorkspaceSize {
  int64_t streams = 0;
  int64_t records = 0;  // -1: some stream does not say
  int64_t bytes = 0;
};

Result<std::map<std::string, WorkspaceSize>> workspace_sizes(const std::string& uri) {
  const SourceBackend* backend = builtin_sources().find(uri);
  if (!backend) return Status::usage("no source backend for \"" + redact_uri(uri) + "\"");
  SourceOptions options;
  if (declares(backend->options, "layout")) options.settings["layout"] = "lightrag";
  Result<std::unique_ptr<Source>> source = backend->open(uri, options);
  if (!source) return source.take_status();
  Result<std::vector<StreamInfo>> streams = (*source)->streams();
  if (!streams) return streams.take_status();
  std::map<std::string, WorkspaceSize> sizes;
  for (const StreamInfo& s : *streams) {
    std::string ws = s.options.contains("lightrag") ? s.options["lightrag"].value("workspace", "") : "";
    WorkspaceSize& size = sizes[ws];
    size.streams += 1;
    size.records = size.records < 0 || s.estimated_rows < 0 ? -1 : size.records + s.estimated_rows;
    size.bytes += std::max<int64_t>(s.estimated_bytes, 0);
  }
  return sizes;
}

std::string describe_sizes(const std::map<std::string, WorkspaceSize>& sizes) {
  if (sizes.empty()) return "no LightRAG data";
  std::string out;
  for (const auto& [ws, size] : sizes)
    out += (out.empty() ? "workspace " : ", ") + shown(ws) + ": " + std::to_string(size.streams) + " streams, " +
           (size.records >= 0 ? std::to_string(size.records) + " records" : human_bytes(double(size.bytes)));
  return out;
}

// A word as a POSIX shell reads it back, for commands the user is told to run.
std::string shell_quoted(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@%+") ==
                           std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ask(const std::string& prompt) {
  std::fprintf(stderr, "%s", prompt.c_str());
  std::fflush(stderr);
  std::string line;
  if (!std::getline(std::cin, line)) return "";
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

nlohmann::json read_report(const std::string& report_path, int exit_code) {
  std::optional<std::string> text = read_file(report_path);
  nlohmann::json report = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (!report.is_object())
    report = {{"ok", false}, {"exit_code", exit_code}, {"error", {{"side", "internal"}, {"message", "no report"}}}};
  return report;
}

// Runs one decant command in this process, as the command line would; its report lands in
// `report_path` and is returned.
nlohmann::json run_command(std::vector<std::string> args, const std::string& report_path) {
  args.insert(args.begin(), "decant");
  args.insert(args.end(), {"--report", report_path});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return read_report(report_path, run(static_cast<int>(args.size()), argv.data()));
}

Side side_from_name(const std::string& name) {
  for (Side s : {Side::kUsage, Side::kSource, Side::kTarget, Side::kArchive, Side::kInterrupted})
    if (name == side_name(s)) return s;
  return Side::kInternal;
}

std::string error_message(const nlohmann::json& report) {
  auto error = report.find("error");
  return error != report.end() && error->is_object() ? error->value("message", "") : "";
}

struct Halves {
  nlohmann::json exported, imported;
};

// Copies the export's bytes from `from` into the archive file and, while the import reads,
// into `to`; an import that stops reading early does not stop the copy, so the archive is
// whole for a retry.
Status copy_archive(int from, ByteSink& archive, int to) {
  std::vector<char> buffer(1 << 20);
  while (true) {
    ssize_t n = ::read(from, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::internal(std::string("reading the export: ") + std::strerror(errno));
    if (n == 0) return Status::ok();
    DECANT_TRY(archive.write(std::string_view(buffer.data(), size_t(n))));
    for (ssize_t done = 0; to >= 0 && done < n;) {
      ssize_t w = ::write(to, buffer.data() + done, size_t(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        ::close(to);
        to = -1;
        break;
      }
      done += w;
    }
  }
}

// Runs the export in a child process into a pipe that fills the archive file. With `overlap`
// the import reads the same bytes as they come; otherwise it reads the finished file.
Result<Halves> run_halves(std::vector<std::string> export_args, std::vector<std::string> import_args,
                          const std::string& archive_path, const std::string& work_dir, bool overlap) {
  Result<std::unique_ptr<AtomicFileSink>> archive = AtomicFileSink::create(archive_path, false);
  if (!archive) return archive.take_status();
  int exported_bytes[2];
  int import_bytes[2] = {-1, -1};
  if (::pipe(exported_bytes) != 0 || (overlap && ::pipe(import_bytes) != 0))
    return Status::internal(std::string("pipe: ") + std::strerror(errno));
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t child = ::fork();
  if (child < 0) return Status::internal(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    ::dup2(exported_bytes[1], STDOUT_FILENO);
    // The import's end of the pipe stays with the parent alone, for the import to see its end.
    for (int fd : {exported_bytes[0], exported_bytes[1], import_bytes[0], import_bytes[1]})
      if (fd >= 0) ::close(fd);
    nlohmann::json report = run_command(export_args, work_dir + "/export-report.json");
    std::fflush(nullptr);
    ::_exit(report.value("ok", false) ? 0 : 1);
  }
  ::close(exported_bytes[1]);
  Status copied;
  std::thread copier([&] {
    copied = copy_archive(exported_bytes[0], **archive, import_bytes[1]);
    ::close(exported_bytes[0]);
    if (import_bytes[1] >= 0) ::close(import_bytes[1]);
  });
  Halves halves;
  if (overlap) {
    std::string pipe_name = "/dev/fd/" + std::to_string(import_bytes[0]);
    import_args.insert(import_args.end(), {"-i", pipe_name});
    halves.imported = run_command(import_args, work_dir + "/import-report.json");
    ::close(import_bytes[0]);
    // Errors name the archive file, which holds the same lines as the pipe.
    if (halves.imported.contains("error") && halves.imported["error"].is_object()) {
      std::string message = error_message(halves.imported);
      for (size_t at; (at = message.find(pipe_name)) != std::string::npos;) message.replace(at, pipe_name.size(), archive_path);
      halves.imported["error"]["message"] = message;
    }
  }
  copier.join();
  int wait_status = 0;
  while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
  }
  halves.exported = read_report(work_dir + "/export-report.json", WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1);
  if (!copied) halves.exported = {{"ok", false}, {"error", {{"side", "target"}, {"message", copied.message()}}}};
  if (halves.exported.value("ok", false)) {
    Status kept = (*archive)->finish();
    if (!kept) return kept.context(archive_path);
  }
  if (!overlap && halves.exported.value("ok", false)) {
    import_args.insert(import_args.end(), {"-i", archive_path});
    halves.imported = run_command(import_args, work_dir + "/import-report.json");
  }
  return halves;
}

}  // namespace

CLI::App* MigrateCommand::add_to(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "migrate", "Move a LightRAG deployment between its stores (JSON files, Redis, PostgreSQL, MongoDB), guided on a terminal");
  cmd->add_option("--from", from, "Source: json, redis, postgres, mongo (as LightRAG is configured) or a URI");
  cmd->add_option("--to", to, "Target: json, redis, postgres, mongo (as LightRAG is configured) or a URI");
  workspace_option = cmd->add_option("--workspace", workspace, "Only this source workspace (\"\" is the default one; default: all)");
  target_workspace_option =
      cmd->add_option("--target-workspace", target_workspace, "Write every stream into this workspace (default: each its own)");
  cmd->add_option("--namespaces", namespaces, "Comma-separated LightRAG namespaces (default: all)");
  cmd->add_option("--cache-types", cache_types, "LLM cache types to move (default: extract,summary,analysis; all for every one)");
  cmd->add_option("--conflict", conflict, "On an existing record: error, skip, replace, merge (default: error)")
      ->check(CLI::IsMember({"error", "skip", "replace", "merge"}));
  cmd->add_option("--txn", txn, "Transactions in the target: single, stream, batch (default: the target's first mode)")
      ->check(CLI::IsMember({"single", "stream", "batch"}));
  cmd->add_flag("--drop", drop, "Drop the target's existing LightRAG data of the streams moved");
  cmd->add_flag("--dry-run", dry_run, "Export and check everything against the target; write nothing to it");
  cmd->add_option("--archive", archive, "Keep the migration's archive in FILE (a backup of what was moved); default: a temporary file, removed after success");
  cmd->add_flag("-y,--yes", yes, "Do not ask for confirmation on a terminal");
  cmd->add_option("--env-file", env_file, "LightRAG's .env file (default: .env, when present)");
  cmd->add_option("--config-ini", ini_file, "LightRAG's config.ini (default: config.ini, when present)");
  cmd->add_option("--progress", progress, "Progress on stderr: auto, on, off, json")->check(CLI::IsMember({"auto", "on", "off", "json"}));
  cmd->add_option("--report", report_path, "Write the migration report to FILE as JSON (also on failure)");
  cmd->add_flag("-q,--quiet", quiet, "No progress and no report on stderr; errors only");
  return cmd;
}

Result<std::vector<lightrag::ConfiguredStore>> MigrateCommand::discover() const {
  std::map<std::string, std::string> dotenv;
  if (std::optional<std::string> text = read_file(env_file)) {
    Result<std::map<std::string, std::string>> parsed = lightrag::parse_dotenv(*text, env_file);
    if (!parsed) return parsed.take_status();
    dotenv = std::move(*parsed);
  }
  lightrag::IniFile ini;
  if (std::optional<std::string> text = read_file(ini_file)) {
    Result<lightrag::IniFile> parsed = lightrag::IniFile::parse(*text, ini_file);
    if (!parsed) return parsed.take_status();
    ini = std::move(*parsed);
  }
  auto env = [&dotenv](const std::string& name) -> std::optional<std::string> {
    if (const char* v = getenv(name.c_str())) return std::string(v);
    auto it = dotenv.find(name);
    if (it != dotenv.end()) return it->second;
    return std::nullopt;
  };
  std::vector<lightrag::ConfiguredStore> stores;
  for (lightrag::ConfiguredStore& s : lightrag::configured_stores(env, ini))
    if (builtin_sources().find(s.uri)) stores.push_back(std::move(s));
  return stores;
}

Result<lightrag::ConfiguredStore> MigrateCommand::choose(const std::vector<lightrag::ConfiguredStore>& stores,
                                                         const std::string& given, const std::string& role,
                                                         const std::string* exclude_uri) {
  std::string names;
  for (const auto& s : stores) names += (names.empty() ? "" : ", ") + s.name + " (" + redact_uri(s.uri) + ")";
  std::string flag = role == "source" ? "--from" : "--to";
  auto pick = [&](const std::string& answer) -> Result<lightrag::ConfiguredStore> {
    for (const auto& s : stores)
      if (s.name == answer) return s;
    if (!uri_scheme(answer).empty()) return lightrag::ConfiguredStore{uri_scheme(answer), answer, flag, std::nullopt};
    return Status::usage(flag + " " + answer + ": not a configured LightRAG store (configured: " + names + ") nor a URI");
  };
  if (!given.empty()) return pick(given);
  if (!interactive)
    return Status::usage(flag + " is needed when decant migrate does not run on a terminal (LightRAG's configured stores: " +
                         names + ")");
  std::vector<const lightrag::ConfiguredStore*> offered;
  std::fprintf(stderr, "%s stores, as LightRAG is configured here:\n", role == "source" ? "Source" : "Target");
  for (const auto& s : stores) {
    if (exclude_uri && s.uri == *exclude_uri) continue;
    offered.push_back(&s);
    Result<std::map<std::string, WorkspaceSize>> counts = workspace_sizes(s.uri);
    std::fprintf(stderr, "  %zu) %-8s %s  [%s]\n     %s\n", offered.size(), s.name.c_str(), redact_uri(s.uri).c_str(),
                 s.origin.c_str(), counts ? describe_sizes(*counts).c_str() : ("cannot read: " + counts.status().message()).c_str());
  }
  if (offered.empty()) return Status::usage("no other LightRAG store is configured: give " + flag + " URI");
  std::string answer = ask(role + " [1-" + std::to_string(offered.size()) + ", a name or a URI]: ");
  char* end = nullptr;
  long n = std::strtol(answer.c_str(), &end, 10);
  if (!answer.empty() && *end == '\0' && n >= 1 && n <= long(offered.size())) return *offered[n - 1];
  if (answer.empty()) return Status::usage("no " + role + " chosen; nothing was done");
  return pick(answer);
}

std::vector<std::string> MigrateCommand::source_flags(const lightrag::ConfiguredStore& store) const {
  std::vector<std::string> flags;
  const SourceBackend* backend = builtin_sources().find(store.uri);
  if (backend && declares(backend->options, "layout")) flags.insert(flags.end(), {"--layout", "lightrag"});
  if (source_workspace) flags.insert(flags.end(), {"--workspace", *source_workspace});
  if (!namespaces.empty()) flags.insert(flags.end(), {"--namespaces", namespaces});
  if (!cache_types.empty()) flags.insert(flags.end(), {"--cache-types", cache_types});
  return flags;
}

std::vector<std::string> MigrateCommand::target_flags(const lightrag::ConfiguredStore& store) const {
  std::vector<std::string> flags;
  const SinkBackend* backend = builtin_sinks().find(store.uri);
  if (backend && declares(backend->options, "layout")) flags.insert(flags.end(), {"--layout", "lightrag"});
  if (target_workspace_choice) flags.insert(flags.end(), {"--workspace", *target_workspace_choice});
  if (!conflict.empty()) flags.insert(flags.end(), {"--conflict", conflict});
  if (!txn.empty()) flags.insert(flags.end(), {"--txn", txn});
  if (drop) flags.push_back("--drop");
  if (dry_run) flags.push_back("--dry-run");
  return flags;
}

Status MigrateCommand::run() {
  auto start = Clock::now();
  interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
  if (workspace_option->count()) source_workspace = workspace;
  if (target_workspace_option->count()) target_workspace_choice = target_workspace;
  nlohmann::json facts = {{"command", "migrate"}};
  auto finish = [&](Status status) {
    if (report_path.empty()) return status;
    Status written = write_report(report_path, facts, status, start);
    return status ? std::move(written) : std::move(status);
  };

  Result<std::vector<lightrag::ConfiguredStore>> stores = discover();
  if (!stores) return finish(stores.take_status());
  Result<lightrag::ConfiguredStore> source = choose(*stores, from, "source", nullptr);
  if (!source) return finish(source.take_status());
  facts["from"] = redact_uri(source->uri);

  if (interactive && !source_workspace) {
    Result<std::map<std::string, WorkspaceSize>> counts = workspace_sizes(source->uri);
    if (!counts) return finish(counts.take_status().context(redact_uri(source->uri)));
    if (counts->size() > 1) {
      std::fprintf(stderr, "Workspaces in %s: %s\n", source->name.c_str(), describe_sizes(*counts).c_str());
      std::string answer = ask("workspace [empty line: all; a name, or (default)]: ");
      if (!answer.empty()) source_workspace = answer == "(default)" ? "" : answer;
    } else if (counts->size() == 1) {
      std::fprintf(stderr, "Workspace in %s: %s\n", source->name.c_str(), describe_sizes(*counts).c_str());
    }
  }
  Result<lightrag::ConfiguredStore> target = choose(*stores, to, "target", &source->uri);
  if (!target) return finish(target.take_status());
  facts["to"] = redact_uri(target->uri);
  if (target->uri == source->uri) return finish(Status::usage("the source and the target are the same store"));
  if (interactive && !target_workspace_choice) {
    std::string hint = target->workspace ? "; LightRAG reads workspace " + shown(*target->workspace) + " there" : "";
    std::string answer = ask("target workspace [empty line: keep each workspace's name" + hint + "; a name, or (default)]: ");
    if (!answer.empty()) target_workspace_choice = answer == "(default)" ? "" : answer;
  }

  std::string from_ws = source_workspace ? "workspace " + shown(*source_workspace) : "every workspace";
  std::string to_ws = target_workspace_choice ? "workspace " + shown(*target_workspace_choice) : "the same workspaces";
  std::string plan = "migrate " + from_ws + " of " + source->name + " (" + redact_uri(source->uri) + ") to " + to_ws +
                     " of " + target->name + " (" + redact_uri(target->uri) + ")" + (dry_run ? ", dry run" : "");
  if (interactive && !yes) {
    std::string answer = ask("About to " + plan + ". Go on? [y/N] ");
    if (answer != "y" && answer != "Y" && answer != "yes") return finish(Status::usage("migration cancelled; nothing was written"));
  } else if (!quiet) {
    say(plan);
  }

  // The archive sits between the two halves: a backup of what was moved, and what a failed
  // import is retried or resumed from. It is written while the import reads the same bytes.
  std::error_code ec;
  fs::path work = fs::temp_directory_path(ec) / "decant-migrate-XXXXXX";
  std::string work_dir = work.string();
  if (!mkdtemp(work_dir.data())) return finish(Status::target("cannot create a directory in " + work.parent_path().string()));
  std::string archive_path = archive.empty() ? work_dir + "/migration.ndjson" : archive;
  facts["archive"] = archive_path;
  std::vector<std::string> common = {"--progress", quiet ? "off" : progress};
  if (quiet) common.push_back("-q");

  // The import's progress stands for both halves: two progress lines would overwrite each other.
  std::vector<std::string> export_args = {"export", source->uri};
  for (const std::string& f : source_flags(*source)) export_args.push_back(f);
  export_args.insert(export_args.end(), {"-o", "-", "--progress", "off", "-q"});
  if (archive_path.ends_with(".zst")) export_args.insert(export_args.end(), {"--compress", "zstd"});
  std::vector<std::string> import_args = {"import", target->uri};
  for (const std::string& f : target_flags(*target)) import_args.push_back(f);
  import_args.insert(import_args.end(), common.begin(), common.end());
  // The import may read while the export writes only where nothing reaches the target before
  // the archive's end has been verified: a dry run, or one transaction for the whole archive.
  const SinkBackend* sink = builtin_sinks().find(target->uri);
  bool single_txn = txn.empty() ? sink && !sink->txn_modes.empty() && sink->txn_modes.front() == TxnMode::kSingle
                                : txn == "single";
  Result<Halves> halves = run_halves(export_args, import_args, archive_path, work_dir, dry_run || single_txn);
  if (!halves) {
    fs::remove_all(work_dir, ec);
    return finish(halves.take_status());
  }
  const nlohmann::json& exported = halves->exported;
  const nlohmann::json& imported = halves->imported;
  facts["export"] = exported;
  facts["import"] = imported;
  auto failed = [&](const std::string& during, const nlohmann::json& report, const std::string& kept) {
    return Status::error(side_from_name(report.value("error", nlohmann::json::object()).value("side", "internal")),
                         "migration stopped during the " + during + "; " + kept);
  };
  if (!exported.value("ok", false)) {
    fs::remove_all(work_dir, ec);
    return finish(failed("export", exported, "the import rolled back; nothing was written to " + redact_uri(target->uri)));
  }

  int64_t records_out = exported.value("records", int64_t(0));
  int64_t records_in = imported.value("records", int64_t(0));
  int64_t records_left_out = imported.value("records_left_out", int64_t(0));
  bool ok = imported.value("ok", false);
  int64_t moved = ok && !dry_run ? records_in : 0;
  int64_t attempted = records_out - records_left_out;
  double rate = attempted <= 0 ? (ok ? 1.0 : 0.0) : double(moved) / double(attempted);
  facts["records_exported"] = records_out;
  facts["records_imported"] = moved;
  facts["records_left_out"] = records_left_out;
  facts["success_rate"] = dry_run ? nlohmann::json(nullptr) : nlohmann::json(rate);
  std::map<std::string, int64_t> failures;
  if (imported.contains("errors"))
    for (const auto& e : imported["errors"]["by_type"]) failures[e.value("type", "")] += e.value("count", int64_t(0));
  if (!ok) failures[error_type(error_message(imported))] += 1;
  facts["failures_by_type"] = failures;

  if (!quiet) {
    std::fprintf(stderr, "migration report\n  from      %s\n  to        %s\n", facts["from"].get<std::string>().c_str(),
                 facts["to"].get<std::string>().c_str());
    for (const auto& s : imported.value("streams", nlohmann::json::array()))
      std::fprintf(stderr, "  stream    %-40s %8lld records%s\n", s.value("name", "").c_str(),
                   (long long)s.value("records", int64_t(0)),
                   s.contains("left_out") ? ("  left out: " + s.value("left_out", "")).c_str() : "");
    std::fprintf(stderr, "  records   %lld exported, %lld %s, %lld left out\n", (long long)records_out, (long long)records_in,
                 dry_run ? "checked (dry run: nothing written)"
                 : ok    ? "imported"
                         : "read before the failure",
                 (long long)records_left_out);
    if (imported.contains("batches"))
      std::fprintf(stderr, "  batches   %lld ok, %lld failed\n", (long long)imported["batches"].value("ok", int64_t(0)),
                   (long long)imported["batches"].value("failed", int64_t(0)));
    if (!dry_run) std::fprintf(stderr, "  success   %.1f %% of the records the target stores\n", rate * 100);
    if (failures.empty()) std::fprintf(stderr, "  failures  none\n");
    for (const auto& [type, count] : failures) std::fprintf(stderr, "  failures  %lld x %s\n", (long long)count, type.c_str());
    std::fprintf(stderr, "  time      %.1f s\n", std::chrono::duration<double>(Clock::now() - start).count());
  }
  // A temporary archive goes once it has been imported; after a failure it is what the
  // import is retried from, so it stays.
  if (ok || !archive.empty()) fs::remove_all(work_dir, ec);
  if (!ok) {
    std::string retry = "decant import " + redact_uri(target->uri);
    for (const std::string& f : target_flags(*target)) retry += " " + shell_quoted(f);
    return finish(failed("import", imported,
                         "the source is unchanged and the archive is kept at " + archive_path + " (retry with: " + retry +
                             " -i " + archive_path + ")"));
  }
  return finish(Status::ok());
}

}  // namespace decant::cli
