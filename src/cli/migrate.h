// decant migrate: a guided move of a LightRAG deployment from one of its stores to another.
// It offers the stores LightRAG is configured with (layouts/lightrag_config.h), shows their
// workspaces and record counts, asks for confirmation, then runs exactly what
// `decant export SOURCE -o ARCHIVE` and `decant import TARGET -i ARCHIVE` would, and prints one
// report. On a terminal it asks for what the flags leave open; elsewhere the flags must say it
// all, so the same migration runs unattended in a script.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "format/status.h"
#include "layouts/lightrag_config.h"

namespace decant::cli {

class MigrateCommand {
 public:
  // Registers the subcommand; the caller attaches the callback that runs `run()`.
  CLI::App* add_to(CLI::App& app);
  Status run();

 private:
  Result<std::vector<lightrag::ConfiguredStore>> discover() const;
  Result<lightrag::ConfiguredStore> choose(const std::vector<lightrag::ConfiguredStore>& stores, const std::string& given,
                                           const std::string& role, const std::string* exclude_uri);
  std::vector<std::string> source_flags(const lightrag::ConfiguredStore& store) const;
  std::vector<std::string> target_flags(const lightrag::ConfiguredStore& store) const;

  std::string from, to;
  std::string workspace, target_workspace;
  CLI::Option* workspace_option = nullptr;
  CLI::Option* target_workspace_option = nullptr;
  std::string namespaces, cache_types;
  std::string conflict, txn;
  bool drop = false, dry_run = false, yes = false, quiet = false;
  std::string archive;
  std::string env_file = ".env", ini_file = "config.ini";
  std::string progress = "auto";
  std::string report_path;
  bool interactive = false;
  // The workspaces chosen by flag or at the prompt; unset: every workspace, each its own name.
  std::optional<std::string> source_workspace, target_workspace_choice;
};

}  // namespace decant::cli
