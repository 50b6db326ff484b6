#include "weir/config/diagnostics.h"

#include <algorithm>

namespace weir::config {

void Diagnostics::error(SourcePos pos, std::string_view path, std::string_view message) {
  errors_.push_back({pos, format(pos, path, message)});
}

void Diagnostics::warning(SourcePos pos, std::string_view path, std::string_view message) {
  warnings_.push_back({pos, format(pos, path, message)});
}

std::string Diagnostics::format(SourcePos pos, std::string_view path,
                                std::string_view message) const {
  std::string text = file_;
  if (pos.line > 0) text += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  text += ": ";
  if (!path.empty()) {
    text += path;
    text += ": ";
  }
  text += message;
  return text;
}

std::vector<std::string> Diagnostics::sorted(std::vector<Entry> entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
    return a.pos.column < b.pos.column;
  });
  std::vector<std::string> texts;
  texts.reserve(entries.size());
  for (Entry& entry : entries) texts.push_back(std::move(entry.text));
  return texts;
}

std::string_view Diagnostics::sourceLine(int line) const {
  std::string_view rest = source_;
  for (int i = 1; i < line && !rest.empty(); ++i) {
    const size_t nl = rest.find('\n');
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  return rest.substr(0, rest.find('\n'));
}

}  // namespace weir::config
