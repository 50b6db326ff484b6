// weir: command line -> config -> Daemon::run(), or `weir explain` (routing of one request).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "weir/base/log.h"
#include "weir/config/config_diff.h"
#include "weir/config/config_loader.h"
#include "weir/daemon/daemon.h"
#include "weir/event/block_cache.h"
#include "weir/importer/import.h"
#include "weir/route/route_explainer.h"

namespace {

/// Loads and validates `path`, printing warnings and errors. nullopt when it is invalid.
std::optional<weir::config::Config> loadOrReport(const std::string& path) {
  weir::config::LoadResult loaded = weir::config::loadConfigFile(path);
  for (const auto& w : loaded.warnings) fmt::print(stderr, "warning: {}\n", w);
  for (const auto& e : loaded.errors) fmt::print(stderr, "{}\n", e);
  if (!loaded.ok) {
    fmt::print(stderr, "weir: configuration is invalid ({} error{})\n", loaded.errors.size(),
               loaded.errors.size() == 1 ? "" : "s");
    return std::nullopt;
  }
  return std::move(loaded.config);
}

int explain(const std::string& configPath, const weir::route::ExplainRequest& request) {
  std::optional<weir::config::Config> config = loadOrReport(configPath);
  if (!config) return 1;
  std::string text;
  if (!weir::route::explainRoute(*config, request, &text)) {
    fmt::print(stderr, "weir explain: {}\n", text);
    return 1;
  }
  fmt::print("{}", text);
  return 0;
}

/// `weir import`: the YAML on stdout, what was not converted on stderr (FILE:LINE: ...).
int importConfig(const std::string& path, const std::string& from) {
  std::ifstream in(path, std::ios::binary);
  std::optional<std::string> read = std::string(std::istreambuf_iterator<char>(in), {});
  if (!in.good() && !in.eof()) {
    fmt::print(stderr, "weir import: cannot read {}\n", path);
    return 1;
  }
  const bool nginx = from == "nginx" || (from.empty() && weir::importer::looksLikeNginx(*read));
  const weir::importer::ImportResult result =
      nginx ? weir::importer::importNginx(*read) : weir::importer::importHaproxy(*read);
  if (!result.error.empty()) {
    fmt::print(stderr, "weir import: {}: {}\n", path, result.error);
    return 1;
  }
  for (const weir::importer::ImportNote& n : result.notes)
    fmt::print(stderr, "{}:{}: not converted: {}: {}\n", path, n.line, n.text, n.why);
  fmt::print("{}", weir::importer::renderYaml(result, path));
  fmt::print(stderr, "weir import: {} converted as {}; {} line(s) not converted (listed above and at the top of the YAML)\n",
             path, nginx ? "nginx" : "HAProxy", result.notes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  weir::event::installLibeventBlockCache();  // before any other libevent call
  CLI::App app{"weir: a Layer-7 HTTP load balancer and reverse proxy"};
  std::string configPath;
  bool checkOnly = false;
  app.add_option("-f,--config", configPath, "configuration file (YAML)")->check(CLI::ExistingFile);
  app.add_flag("-c,--check", checkOnly, "only check the configuration file and exit");
  std::string diffAgainst;
  app.add_option("--diff-against", diffAgainst, "with -c: also print what changes from this (running) config")
      ->check(CLI::ExistingFile);
  std::string pidFile;
  app.add_option("--pidfile", pidFile, "write the process ID to this file while running");
  app.set_version_flag("-v,--version", fmt::format("weir {}", WEIR_VERSION));

  weir::route::ExplainRequest request;
  CLI::App* explainCmd = app.add_subcommand(
      "explain", "show how a request would be routed (ACLs, rules, backend, server) without starting the proxy");
  explainCmd->add_option("-f,--config", configPath, "configuration file (YAML)")->required()->check(CLI::ExistingFile);
  explainCmd->add_option("--frontend", request.frontend, "frontend to ask (default: the first)");
  explainCmd->add_option("--src", request.src, "client address (default: 127.0.0.1)");
  explainCmd->add_flag("--ssl", request.ssl, "the request arrives over TLS");
  explainCmd->add_option("-H,--header", request.headers, "request header 'Name: value' (repeatable)");
  explainCmd->add_option("request", request.requestLine, "\"METHOD TARGET\", e.g. \"GET /api/users?x=1\"")->required();
  std::string importPath, importFrom;
  CLI::App* importCmd = app.add_subcommand(
      "import", "convert an haproxy.cfg (or an nginx upstream/server config) into weir YAML on stdout");
  importCmd->add_option("file", importPath, "haproxy.cfg or nginx.conf")->required()->check(CLI::ExistingFile);
  importCmd->add_option("--from", importFrom, "the file's format (default: guessed)")
      ->check(CLI::IsMember({"haproxy", "nginx"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 1, as a bad config does.
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (explainCmd->parsed()) return explain(configPath, request);
  if (importCmd->parsed()) {
    try {
      return importConfig(importPath, importFrom);
    } catch (const std::exception& e) {  // the importers never throw on input; this is the net under them
      fmt::print(stderr, "weir import: {}: {}\n", importPath, e.what());
      return 1;
    }
  }

  if (configPath.empty()) {
    fmt::print(stderr, "weir: no configuration file given (-f FILE)\n{}", app.help());
    return 1;
  }
  std::optional<weir::config::Config> config = loadOrReport(configPath);
  if (!config) return 1;
  if (checkOnly) {
    fmt::print("configuration is valid\n");
    if (diffAgainst.empty()) return 0;
    std::optional<weir::config::Config> before = loadOrReport(diffAgainst);
    if (!before) return 1;
    const std::vector<std::string> changes = weir::config::diffConfigs(*before, *config);
    fmt::print("{}\n", changes.empty() ? fmt::format("no changes from {}", diffAgainst)
                                       : fmt::format("changes from {}:", diffAgainst));
    for (const std::string& line : changes) fmt::print("  {}\n", line);
    return 0;
  }
  weir::daemon::Daemon daemon(std::make_shared<const weir::config::Config>(std::move(*config)), pidFile);
  return daemon.run();
}
