#include "import_words.h"

#include <cctype>
#include <charconv>

namespace weir::importer {

std::vector<std::string> splitHaproxyWords(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool inWord = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < line.size()) word += line[++i];
      else word += c;
      continue;
    }
    if (c == '#') break;
    if (c == ' ' || c == '\t' || c == '\r') {
      if (inWord) words.push_back(std::move(word));
      word.clear();
      inWord = false;
      continue;
    }
    inWord = true;
    if (c == '"' || c == '\'') quote = c;
    else if (c == '\\' && i + 1 < line.size()) word += line[++i];
    else word += c;
  }
  if (inWord) words.push_back(std::move(word));
  return words;
}

namespace {

/// digits + unit, unit one of `units` ("" = bare); nullopt otherwise.
std::optional<std::pair<std::string, std::string>> splitDuration(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0) return std::nullopt;
  return std::make_pair(text.substr(0, i), text.substr(i));
}

}  // namespace

std::optional<std::string> haproxyDuration(const std::string& text) {
  const auto parts = splitDuration(text);
  if (!parts) return std::nullopt;
  const auto& [number, unit] = *parts;
  if (unit.empty()) return number + "ms";
  if (unit == "ms" || unit == "s" || unit == "m" || unit == "h" || unit == "d") return text;
  return std::nullopt;  // "us"
}

std::optional<std::string> nginxDuration(const std::string& text) {
  const auto parts = splitDuration(text);
  if (!parts) return std::nullopt;
  const auto& [number, unit] = *parts;
  if (unit.empty()) return number + "s";
  if (unit == "ms" || unit == "s" || unit == "m" || unit == "h" || unit == "d" || unit == "y") return text;
  if (unit == "w") {
    const std::optional<int> weeks = toInt(number);
    if (!weeks || *weeks > 1000000) return std::nullopt;
    return std::to_string(*weeks * 7) + "d";
  }
  return std::nullopt;  // "M": months have no fixed length
}

std::optional<int> toInt(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

YAML::Node numberOrText(const std::string& text) {
  if (const std::optional<int> n = toInt(text)) return YAML::Node(*n);
  return YAML::Node(text);
}

std::string joinWords(const std::vector<std::string>& words, size_t from) {
  std::string out;
  for (size_t i = from; i < words.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += words[i];
  }
  return out;
}

}  // namespace weir::importer
