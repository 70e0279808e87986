#include "cli/backend_flags.h"

namespace decant::cli {

void BackendFlags::declare(const std::string& owner, const std::vector<BackendOption>& options) {
  for (const BackendOption& option : options) {
    Flag& flag = flags_[option.flag];
    if (flag.owners.empty()) flag.option = option;
    flag.owners.push_back(owner);
  }
}

void BackendFlags::add_to(CLI::App* command) {
  for (auto& [name, flag] : flags_) {
    std::string owners;
    for (const std::string& o : flag.owners) owners += (owners.empty() ? "" : ", ") + o;
    std::string help = flag.option.help + " [" + owners + "]";
    if (flag.option.type == BackendOption::Type::kFlag) {
      // add_flag(name, std::string&) would bind the string as the flag's variable.
      flag.cli = command->add_flag("--" + name)->description(help);
    } else {
      // One value per flag, taken as given (CLI11 would split "[a,b]" into a list).
      flag.cli = command->add_option("--" + name, flag.values)->description(help)->allow_extra_args(false);
      if (flag.option.type != BackendOption::Type::kList)
        flag.cli->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    flag.cli->group("Backend options");
  }
}

Result<nlohmann::json> BackendFlags::settings_for(const std::string& owner, const std::vector<BackendOption>& options,
                                                  bool strict) const {
  nlohmann::json settings = nlohmann::json::object();
  for (const auto& [name, flag] : flags_) {
    if (!flag.given()) continue;
    bool declared = false;
    for (const BackendOption& o : options) declared = declared || o.flag == name;
    if (!declared) {
      if (!strict) continue;
      std::string owners;
      for (const std::string& o : flag.owners) owners += (owners.empty() ? "" : ", ") + o;
      return Status::usage("--" + name + " is an option of the " + owners + ", not of the " + owner);
    }
    Result<nlohmann::json> value = backend_option_value(flag.option, flag.values);
    if (!value) return value.take_status();
    settings[name] = std::move(value.value());
  }
  return settings;
}

}  // namespace decant::cli
