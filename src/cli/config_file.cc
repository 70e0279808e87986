#include "cli/config_file.h"

namespace decant::cli {

namespace {

bool has_option(const CLI::App& command, const std::string& name) {
  return command.get_option_no_throw("--" + name) != nullptr || command.get_option_no_throw(name) != nullptr;
}

// "source" and "target" name the positional SOURCE and TARGET.
std::string option_name(const std::string& key) {
  return key == "source" ? "SOURCE" : key == "target" ? "TARGET" : key;
}

}  // namespace

std::vector<CLI::ConfigItem> CommandConfig::from_config(std::istream& input) const {
  std::vector<CLI::App*> given = app_.get_subcommands();
  if (given.empty()) return {};
  const CLI::App& command = *given.front();
  std::vector<const CLI::App*> all = app_.get_subcommands([](const CLI::App*) { return true; });
  std::vector<CLI::ConfigItem> kept;
  for (CLI::ConfigItem item : CLI::ConfigTOML::from_config(input)) {
    // Section markers would make CLI11 run that section's command.
    if (item.name == "++" || item.name == "--") continue;
    if (item.parents.size() > 1) throw CLI::ConfigError::Extras(item.fullname());
    item.name = option_name(item.name);
    if (!item.parents.empty()) {
      bool known = false;
      for (const CLI::App* c : all) known |= c->get_name() == item.parents.front();
      if (!known) throw CLI::ConfigError::Extras(item.fullname());
      if (item.parents.front() == command.get_name()) kept.push_back(item);  // CLI11 checks the name
      continue;
    }
    if (has_option(command, item.name)) {
      item.parents = {command.get_name()};
      kept.push_back(item);
      continue;
    }
    bool elsewhere = false;
    for (const CLI::App* c : all) elsewhere |= has_option(*c, item.name);
    if (!elsewhere) throw CLI::ConfigError::Extras(item.fullname());
  }
  return kept;
}

}  // namespace decant::cli
