#include "weir/static/mime_types.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace weir::static_files {
namespace {

struct Builtin {
  std::string_view extension;
  std::string_view type;
};

// The one table of MIME types weir knows without /etc/mime.types (the web's usual files).
constexpr Builtin kBuiltin[] = {
    {"html", "text/html"}, {"htm", "text/html"}, {"css", "text/css"}, {"js", "text/javascript"},
    {"mjs", "text/javascript"}, {"json", "application/json"}, {"map", "application/json"},
    {"txt", "text/plain"}, {"xml", "text/xml"}, {"csv", "text/csv"}, {"md", "text/markdown"},
    {"svg", "image/svg+xml"}, {"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
    {"gif", "image/gif"}, {"ico", "image/x-icon"}, {"webp", "image/webp"}, {"avif", "image/avif"},
    {"bmp", "image/bmp"}, {"woff", "font/woff"}, {"woff2", "font/woff2"}, {"ttf", "font/ttf"},
    {"otf", "font/otf"}, {"eot", "application/vnd.ms-fontobject"}, {"wasm", "application/wasm"},
    {"pdf", "application/pdf"}, {"zip", "application/zip"}, {"gz", "application/gzip"},
    {"tar", "application/x-tar"}, {"mp4", "video/mp4"}, {"webm", "video/webm"}, {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"}, {"wav", "audio/wav"}, {"webmanifest", "application/manifest+json"},
    {"manifest", "text/cache-manifest"}, {"rss", "application/rss+xml"}, {"atom", "application/atom+xml"},
};

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isText(std::string_view type) {
  return type.starts_with("text/") || type == "application/json" || type == "application/javascript" ||
         type == "image/svg+xml" || type == "application/manifest+json" || type.ends_with("+xml");
}

}  // namespace

MimeTypes::MimeTypes() {
  for (const Builtin& b : kBuiltin) add(b.type, b.extension);
}

void MimeTypes::add(std::string_view type, std::string_view extension) {
  std::string value(type);
  if (isText(type)) value += "; charset=utf-8";
  std::string key = lowercase(extension);
  auto it = std::lower_bound(byExtension_.begin(), byExtension_.end(), key,
                             [](const auto& entry, const std::string& k) { return entry.first < k; });
  if (it != byExtension_.end() && it->first == key) it->second = std::move(value);
  else byExtension_.insert(it, {std::move(key), std::move(value)});
}

bool MimeTypes::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string type, extension;
    if (!(words >> type) || type.find('/') == std::string::npos) continue;
    while (words >> extension) add(type, extension);
  }
  return true;
}

MimeTypes MimeTypes::systemDefault() {
  MimeTypes types;
  types.load("/etc/mime.types");
  // The web's own choices where old system tables differ (application/javascript, no woff2).
  for (const Builtin& b : kBuiltin) types.add(b.type, b.extension);
  return types;
}

std::string_view MimeTypes::lookup(std::string_view path) const {
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "application/octet-stream";
  const std::string_view extension = path.substr(dot + 1);
  char lower[64];  // longer than any registered extension (sarif-external-properties: 25)
  if (extension.empty() || extension.size() > sizeof(lower)) return "application/octet-stream";
  for (size_t i = 0; i < extension.size(); ++i) lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(extension[i])));
  const std::string_view key(lower, extension.size());
  auto it = std::lower_bound(byExtension_.begin(), byExtension_.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  return it != byExtension_.end() && it->first == key ? std::string_view(it->second) : "application/octet-stream";
}

}  // namespace weir::static_files
