#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weir::test {

/// A plain-string weir config for the common test shape:
///
///   global: {threads: 1, log: stdout}
///   defaults: {timeout: {connect: 1s, client: 10s, server: 10s}} + extraDefaultsYaml
///   frontends: fe: bind ["127.0.0.1:0"], default_backend be + extraFrontendYaml
///   backends: be: extraBackendYaml + servers s1, s2, ... at `serverAddresses`
///
/// The extra texts are written unindented ("balance: leastconn\nretries: 2") and indented into
/// place. When extraDefaultsYaml has its own top-level `timeout:` it replaces the one above.
std::string simpleConfig(const std::vector<std::string>& serverAddresses,
                         std::string_view extraBackendYaml = "",
                         std::string_view extraDefaultsYaml = "",
                         std::string_view extraFrontendYaml = "");

/// A server of simpleConfig() with keys of its own ("maxconn: 1, weight: 3").
struct ServerLine {
  std::string address;
  std::string options;
};
std::string simpleConfigWithServers(const std::vector<ServerLine>& servers, std::string_view extraBackendYaml = "",
                         std::string_view extraDefaultsYaml = "", std::string_view extraFrontendYaml = "");

/// Prefixes every non-empty line of `yaml` with `spaces` spaces; ends it with a newline.
std::string indentYaml(std::string_view yaml, int spaces);

}  // namespace weir::test
