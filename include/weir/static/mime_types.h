#pragma once
// File extension -> Content-Type: a built-in table of the types a web site serves, extended by
// /etc/mime.types when the machine has one (for the extensions the table lacks; the table's
// web types win over older system entries). Built once at start; immutable; read by every
// worker; lookup() allocates nothing.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::static_files {

class MimeTypes {
 public:
  /// The built-in table only.
  MimeTypes();
  /// Adds the entries of a mime.types file ("type ext1 ext2 ..." lines, # comments); returns
  /// false when it cannot be read.
  bool load(const std::string& path);
  /// The built-in table plus /etc/mime.types when present.
  static MimeTypes systemDefault();

  /// The type for `path`'s extension (case-insensitive), "application/octet-stream" when
  /// unknown. Text types carry "; charset=utf-8".
  std::string_view lookup(std::string_view path) const;

 private:
  void add(std::string_view type, std::string_view extension);
  std::vector<std::pair<std::string, std::string>> byExtension_;  // sorted by extension
};

}  // namespace weir::static_files
