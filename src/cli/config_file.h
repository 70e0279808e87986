// --config FILE: a command's options in a TOML file, as an alternative to flags (CLI11's
// TOML/INI reader). Top-level keys apply to the command being run when it has that option
// ("source" and "target" fill SOURCE and TARGET); an [export], [import] or [diff] section applies
// to that command only. Flags on the command line win over the file; a key no command knows is
// a usage error.
#pragma once

#include <istream>
#include <vector>

#include <CLI/CLI.hpp>

namespace decant::cli {

class CommandConfig : public CLI::ConfigTOML {
 public:
  explicit CommandConfig(const CLI::App& app) : app_(app) {}
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

 private:
  const CLI::App& app_;
};

}  // namespace decant::cli
