// The command-line options that backends declare (BackendOption), offered on a subcommand as
// one set: a flag several backends declare is registered once. After parsing, each backend
// gets only the options it declared, as its `settings`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "format/pipeline.h"
#include "format/status.h"

namespace decant::cli {

class BackendFlags {
 public:
  // `owner` names the backend in messages ("redis source"); call once per backend.
  void declare(const std::string& owner, const std::vector<BackendOption>& options);
  // Registers every declared flag on `command`, in a group of its own in the help.
  void add_to(CLI::App* command);

  // The settings for a backend that declared `options`. With `strict`, a flag given on the
  // command line that this backend does not declare is a usage error naming its owners.
  Result<nlohmann::json> settings_for(const std::string& owner, const std::vector<BackendOption>& options,
                                      bool strict) const;

 private:
  struct Flag {
    BackendOption option;
    std::vector<std::string> owners;
    std::vector<std::string> values;
    CLI::Option* cli = nullptr;
    bool given() const { return cli && cli->count() > 0; }
  };
  std::map<std::string, Flag> flags_;  // by flag name; nodes stay put for CLI11's pointers
};

}  // namespace decant::cli
