#include "support/simple_config.h"

namespace weir::test {

namespace {

bool hasTopLevelKey(std::string_view yaml, std::string_view key) {
  std::size_t start = 0;
  while (start < yaml.size()) {
    const std::size_t end = yaml.find('\n', start);
    const std::string_view line = yaml.substr(start, end - start);
    if (line.substr(0, key.size()) == key && line.substr(key.size(), 1) == ":") {
      return true;
    }
    start = end == std::string_view::npos ? yaml.size() : end + 1;
  }
  return false;
}

}  // namespace

std::string indentYaml(std::string_view yaml, int spaces) {
  std::string out;
  std::size_t start = 0;
  while (start < yaml.size()) {
    const std::size_t end = yaml.find('\n', start);
    const std::string_view line = yaml.substr(start, end - start);
    if (!line.empty()) {
      out += std::string(static_cast<std::size_t>(spaces), ' ');
      out += line;
    }
    out += '\n';
    start = end == std::string_view::npos ? yaml.size() : end + 1;
  }
  return out;
}

std::string simpleConfig(const std::vector<std::string>& serverAddresses,
                         std::string_view extraBackendYaml, std::string_view extraDefaultsYaml,
                         std::string_view extraFrontendYaml) {
  std::vector<ServerLine> servers;
  for (const std::string& address : serverAddresses) servers.push_back({address, ""});
  return simpleConfigWithServers(servers, extraBackendYaml, extraDefaultsYaml, extraFrontendYaml);
}

std::string simpleConfigWithServers(const std::vector<ServerLine>& servers, std::string_view extraBackendYaml,
                         std::string_view extraDefaultsYaml, std::string_view extraFrontendYaml) {
  std::string yaml =
      "global:\n"
      "  threads: 1\n"
      "  log: stdout\n"
      "defaults:\n";
  if (!hasTopLevelKey(extraDefaultsYaml, "timeout")) {
    yaml +=
        "  timeout:\n"
        "    connect: 1s\n"
        "    client: 10s\n"
        "    server: 10s\n";
  }
  yaml += indentYaml(extraDefaultsYaml, 2);
  yaml +=
      "frontends:\n"
      "  fe:\n"
      "    bind: [\"127.0.0.1:0\"]\n"
      "    default_backend: be\n";
  yaml += indentYaml(extraFrontendYaml, 4);
  yaml +=
      "backends:\n"
      "  be:\n";
  yaml += indentYaml(extraBackendYaml, 4);
  yaml += "    servers:\n";
  for (std::size_t i = 0; i < servers.size(); ++i) {
    yaml += "      - { name: s" + std::to_string(i + 1) + ", address: \"" + servers[i].address + "\"" +
            (servers[i].options.empty() ? "" : ", " + servers[i].options) + " }\n";
  }
  return yaml;
}

}  // namespace weir::test
