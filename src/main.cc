// weir: command line -> config -> Daemon::run().
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "weir/base/log.h"
#include "weir/config/config_loader.h"
#include "weir/daemon/daemon.h"

int main(int argc, char** argv) {
  CLI::App app{"weir: a Layer-7 HTTP load balancer and reverse proxy"};
  std::string configPath;
  bool checkOnly = false;
  app.add_option("-f,--config", configPath, "configuration file (YAML)")->check(CLI::ExistingFile);
  app.add_flag("-c,--check", checkOnly, "only check the configuration file and exit");
  app.set_version_flag("-v,--version", fmt::format("weir {}", WEIR_VERSION));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 1, as a bad config does.
    return app.exit(e) == 0 ? 0 : 1;
  }

  if (configPath.empty()) {
    fmt::print(stderr, "weir: no configuration file given (-f FILE)\n{}", app.help());
    return 1;
  }
  weir::config::LoadResult loaded = weir::config::loadConfigFile(configPath);
  for (const auto& w : loaded.warnings) fmt::print(stderr, "warning: {}\n", w);
  for (const auto& e : loaded.errors) fmt::print(stderr, "{}\n", e);
  if (!loaded.ok) {
    fmt::print(stderr, "weir: configuration is invalid ({} error{})\n", loaded.errors.size(),
               loaded.errors.size() == 1 ? "" : "s");
    return 1;
  }
  if (checkOnly) {
    fmt::print("configuration is valid\n");
    return 0;
  }
  weir::daemon::Daemon daemon(std::make_shared<const weir::config::Config>(std::move(loaded.config)));
  return daemon.run();
}
