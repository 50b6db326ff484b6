#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace weir::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it when the object
/// dies (a moved-from TempDir owns nothing). Set WEIR_TEST_KEEP_TMP=1 to keep it for a
/// post-mortem. Owned by one test thread.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// Path of `name` inside the directory; the file need not exist.
  std::filesystem::path filePath(std::string_view name) const;

  /// Writes `text` to `name` (creating parent directories, replacing any old file); returns the
  /// absolute path. Throws std::runtime_error when the write fails.
  std::filesystem::path writeFile(std::string_view name, std::string_view text) const;

 private:
  void remove() noexcept;

  std::filesystem::path path_;
};

/// The whole content of a file, or an empty string when it cannot be read.
std::string readFileText(const std::filesystem::path& path);

}  // namespace weir::test
