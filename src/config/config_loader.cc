// The entry points of the YAML config loader: parse the text, then read the sections in
// dependency order (global, defaults, backends, frontends) whatever their order in the file,
// so that every frontend and backend starts from the final defaults and every reference to a
// backend can be checked. yaml-cpp throws; nothing escapes from here.

#include "weir/config/config_loader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>

#include "sections.h"

namespace weir::config {
namespace {

/// The top-level sections, as found; read once all have been found.
struct Sections {
  std::optional<YamlCursor> global;
  std::optional<YamlCursor> defaults;
  std::optional<YamlCursor> frontends;
  std::optional<YamlCursor> backends;
  std::optional<YamlCursor> caches;
  std::optional<YamlCursor> stats;
};

void loadRoot(const YamlCursor& root, Config* config) {
  if (!root.expect(NodeKind::kMapping)) return;
  Sections found;
  const auto keep = [](std::optional<YamlCursor>* slot) {
    return [slot](const YamlCursor& v) { slot->emplace(v); };
  };
  const std::vector<KeyRule> rules{
      {"global", keep(&found.global)},
      {"defaults", keep(&found.defaults)},
      {"frontends", keep(&found.frontends)},
      {"backends", keep(&found.backends)},
      {"caches", keep(&found.caches)},
      {"stats", keep(&found.stats)},
  };
  const KeySet seen = root.readKeys(rules);
  if (found.global) loadGlobal(*found.global, &config->global);
  if (found.defaults) loadDefaults(*found.defaults, &config->defaults);
  if (found.backends) loadBackends(*found.backends, config);
  if (found.caches) loadCaches(*found.caches, config);
  if (found.frontends) loadFrontends(*found.frontends, config);
  if (found.stats) loadStats(*found.stats, config);
  root.require(seen, "frontends");
}

/// Where the root node of the latest document of a stream starts, from the parser's events.
/// YAML::LoadAll is not used to find a second document: after a node followed by a stray ','
/// ("&a ,", "!t ,") yaml-cpp 0.7 reports empty documents for ever without consuming the ','
/// (yaml-cpp issue #1040, fixed after 0.8.0), and LoadAll allocates until the process dies:
/// `weir -c`, or a reload in the running weir. Found by tests/fuzz/config_loader_fuzzer.
class RootMark final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> mark;

  void OnDocumentStart(const YAML::Mark&) override { mark.reset(); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { see(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { see(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { see(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    see(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override { see(m); }
  void OnMapEnd() override {}

 private:
  void see(const YAML::Mark& m) {
    if (!mark) mark = m;
  }
};

/// The single document of the text; nullopt (reported) on a syntax error or several documents.
std::optional<YAML::Node> parseDocument(const std::string& text, Diagnostics* diag) {
  try {
    YAML::Node root = YAML::Load(text);  // the first document only
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    RootMark second;
    if (parser.HandleNextDocument(second) && parser.HandleNextDocument(second)) {
      diag->error(toSourcePos(second.mark.value_or(YAML::Mark())), "", "only one YAML document is allowed");
      return std::nullopt;
    }
    return root;
  } catch (const YAML::ParserException& e) {
    diag->error(toSourcePos(e.mark), "", "YAML syntax error: " + e.msg);
  }
  return std::nullopt;
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

std::optional<std::string> readFile(const std::string& path, std::string* error) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[65536];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get())) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  return text;
}

LoadResult finish(Diagnostics* diag, LoadResult result) {
  result.errors = diag->errors();
  result.warnings = diag->warnings();
  result.ok = result.errors.empty();
  return result;
}

}  // namespace

LoadResult loadConfigText(const std::string& text, const std::string& name) {
  Diagnostics diag(name);
  diag.setSource(text);
  LoadResult result;
  result.config.source_file = name;
  try {
    if (std::optional<YAML::Node> root = parseDocument(text, &diag))
      loadRoot(YamlCursor(*root, &diag), &result.config);
  } catch (const std::exception& e) {
    // Not expected: every read checks the node's kind first. Report rather than crash.
    diag.error({}, "", std::string("internal error while loading: ") + e.what());
  }
  return finish(&diag, std::move(result));
}

LoadResult loadConfigFile(const std::string& path) {
  std::string failure;
  const std::optional<std::string> text = readFile(path, &failure);
  if (!text) {
    Diagnostics diag(path);
    diag.error({}, "", "cannot read the file: " + failure);
    LoadResult result;
    result.config.source_file = path;
    return finish(&diag, std::move(result));
  }
  return loadConfigText(*text, path);
}

}  // namespace weir::config
