#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "support/temp_dir.h"
#include "support/wait_for.h"

namespace weir::test {

/// Extra environment variables for a child, on top of (and overriding) the test's own.
using Environment = std::map<std::string, std::string>;

enum class Stream { Stdout, Stderr };

/// A line of output that matched a regex, with its capture groups (group 0 = whole match).
struct OutputMatch {
  std::string line;
  std::vector<std::string> groups;
};

/// One child process (fork + execve). Its stdin is /dev/null and its stdout and stderr each go
/// to a file of their own in a private temp dir, so the child never blocks on a full pipe and
/// the test can read everything it wrote at any time. The child gets PR_SET_PDEATHSIG=SIGKILL,
/// so it dies with the thread that spawned it if the test binary crashes: spawn from a thread
/// that outlives the Process (normally the test's main thread). Only this child is ever
/// signalled, by its PID, and it is always reaped: the destructor sends SIGTERM, waits up to
/// 3s, then SIGKILL. Owned by one test thread.
class Process {
 public:
  /// Starts argv[0] (searched in PATH when it has no '/'). Throws std::runtime_error when the
  /// program cannot be executed.
  explicit Process(std::vector<std::string> argv, const Environment& extraEnv = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }

  std::string stdoutText() const;
  std::string stderrText() const;
  std::string outputText(Stream stream) const;
  /// Bytes written so far to `stream`: pass it as `from` to wait only for what comes next.
  std::size_t outputSize(Stream stream) const;
  std::filesystem::path outputPath(Stream stream) const;

  /// Waits for a complete line (ending in '\n') of `stream`, starting at byte `from`, that
  /// contains `substring`, and returns it without the newline. Returns nullopt on timeout or
  /// as soon as the process has exited without printing it.
  std::optional<std::string> waitForOutput(std::string_view substring, Stream stream,
                                           std::chrono::milliseconds timeout = kDefaultTimeout,
                                           std::size_t from = 0);
  /// The same with a regex searched in each complete line.
  std::optional<OutputMatch> waitForOutput(const std::regex& pattern, Stream stream,
                                           std::chrono::milliseconds timeout = kDefaultTimeout,
                                           std::size_t from = 0);

  /// Sends `signo` to the child; false once it has been reaped.
  bool signal(int signo);
  /// Reaps the child if it has exited (never blocks); true when it is gone.
  bool hasExited();
  bool isRunning() { return !hasExited(); }
  /// Waits for the child to exit; its exit code, or 128+N when killed by signal N; nullopt on
  /// timeout (the child is left running).
  std::optional<int> waitExit(std::chrono::milliseconds timeout = kDefaultTimeout);
  /// The signal that ended the child, when one did.
  std::optional<int> exitSignal() const { return exitSignal_; }
  /// The stop signal (setStopSignal, SIGTERM by default), wait up to `grace`, then SIGKILL;
  /// always reaps. Returns the exit code (128+N for signal N). Does nothing more once the
  /// child is reaped.
  int terminate(std::chrono::milliseconds grace = std::chrono::seconds(3));
  /// What terminate() (and so the destructor) sends first.
  void setStopSignal(int signo) { stopSignal_ = signo; }
  /// SIGKILL and reap.
  int kill();

 private:
  void spawn(const Environment& extraEnv);
  void recordStatus(int status);

  std::vector<std::string> argv_;
  TempDir outputDir_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exitCode_ = -1;
  std::optional<int> exitSignal_;
  int stopSignal_ = SIGTERM;
};

/// What a one-shot command did.
struct CommandResult {
  int exitCode = -1;  // 128+N when killed by signal N; -1 when it timed out or could not start
  bool timedOut = false;
  std::string out;
  std::string err;
};

/// Runs argv to completion (stdin /dev/null) and collects its exit code and output. A command
/// still running after `timeout` is killed and reported with timedOut. A program that cannot be
/// started gives exitCode -1 and the reason in `err`. Never throws for the child's sake.
CommandResult runCommand(std::vector<std::string> argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30),
                         const Environment& extraEnv = {});

}  // namespace weir::test
