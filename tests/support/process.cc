#include "support/process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace weir::test {

namespace {

/// File descriptors the parent opens for one spawn; closed when it goes out of scope.
struct SpawnFds {
  int devNull = -1;
  int out = -1;
  int err = -1;
  int execErrorRead = -1;
  int execErrorWrite = -1;
  ~SpawnFds() {
    for (int fd : {devNull, out, err, execErrorRead, execErrorWrite}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
};

std::string resolveExecutable(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    return program;
  }
  const char* pathEnv = std::getenv("PATH");
  std::istringstream dirs(pathEnv != nullptr ? pathEnv : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  throw std::runtime_error("cannot start " + program + ": not found in PATH");
}

std::vector<std::string> buildEnvironment(const Environment& extraEnv) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view item(*entry);
    const std::string key(item.substr(0, item.find('=')));
    if (extraEnv.find(key) == extraEnv.end()) {
      env.emplace_back(item);
    }
  }
  for (const auto& [key, value] : extraEnv) {
    env.push_back(key + "=" + value);
  }
  return env;
}

std::vector<char*> cStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) {
    pointers.push_back(s.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

int openOrThrow(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error("open(" + path + ") failed: " + std::strerror(errno));
  }
  return fd;
}

/// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void execChild(const SpawnFds& fds, pid_t parent, const char* path, char** argv,
                            char** envp) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) {
    ::_exit(127);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (::dup2(fds.devNull, 0) < 0 || ::dup2(fds.out, 1) < 0 || ::dup2(fds.err, 2) < 0) {
    const int error = errno;
    [[maybe_unused]] auto written = ::write(fds.execErrorWrite, &error, sizeof error);
    ::_exit(127);
  }
  // Sockets the test holds (a TcpClient's) must not leak into the child, or closing them in the
  // test would not close the connection.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 4096; ++fd) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  ::execve(path, argv, envp);
  const int error = errno;
  [[maybe_unused]] auto written = ::write(fds.execErrorWrite, &error, sizeof error);
  ::_exit(127);
}

std::string readFrom(const std::filesystem::path& path, std::size_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {};
  }
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const char* streamFileName(Stream stream) {
  return stream == Stream::Stdout ? "stdout.txt" : "stderr.txt";
}

}  // namespace

Process::Process(std::vector<std::string> argv, const Environment& extraEnv)
    : argv_(std::move(argv)) {
  if (argv_.empty()) {
    throw std::runtime_error("Process: empty argv");
  }
  spawn(extraEnv);
}

Process::~Process() { terminate(); }

void Process::spawn(const Environment& extraEnv) {
  std::string path = resolveExecutable(argv_[0]);
  std::vector<std::string> argvCopy = argv_;
  std::vector<std::string> env = buildEnvironment(extraEnv);
  std::vector<char*> argvPointers = cStrings(argvCopy);
  std::vector<char*> envPointers = cStrings(env);

  SpawnFds fds;
  fds.devNull = openOrThrow("/dev/null", O_RDONLY);
  fds.out = openOrThrow(outputPath(Stream::Stdout).string(), O_WRONLY | O_CREAT | O_TRUNC);
  fds.err = openOrThrow(outputPath(Stream::Stderr).string(), O_WRONLY | O_CREAT | O_TRUNC);
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2 failed: ") + std::strerror(errno));
  }
  fds.execErrorRead = pipeFds[0];
  fds.execErrorWrite = pipeFds[1];

  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid_ == 0) {
    execChild(fds, parent, path.c_str(), argvPointers.data(), envPointers.data());
  }
  ::close(fds.execErrorWrite);
  fds.execErrorWrite = -1;
  int childErrno = 0;
  ssize_t got;
  do {
    got = ::read(fds.execErrorRead, &childErrno, sizeof childErrno);
  } while (got < 0 && errno == EINTR);
  if (got > 0) {
    kill();
    throw std::runtime_error("cannot execute " + path + ": " + std::strerror(childErrno));
  }
}

std::filesystem::path Process::outputPath(Stream stream) const {
  return outputDir_.filePath(streamFileName(stream));
}

std::string Process::outputText(Stream stream) const { return readFileText(outputPath(stream)); }
std::string Process::stdoutText() const { return outputText(Stream::Stdout); }
std::string Process::stderrText() const { return outputText(Stream::Stderr); }

std::size_t Process::outputSize(Stream stream) const {
  std::error_code error;
  const auto size = std::filesystem::file_size(outputPath(stream), error);
  return error ? 0 : static_cast<std::size_t>(size);
}

namespace {

/// Feeds each complete line of a growing file to `matches` once; at the end (the writer has
/// exited) the unterminated tail counts as a line too.
class LineScanner {
 public:
  LineScanner(std::filesystem::path path, std::size_t from)
      : path_(std::move(path)), offset_(from) {}

  std::optional<std::string> scan(bool final,
                                  const std::function<bool(const std::string&)>& matches) {
    const std::string text = readFrom(path_, offset_);
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
      std::string line = text.substr(start, end - start);
      if (matches(line)) {
        return line;
      }
      offset_ += end + 1 - start;
    }
    if (final && start < text.size() && matches(text.substr(start))) {
      return text.substr(start);
    }
    return std::nullopt;
  }

 private:
  std::filesystem::path path_;
  std::size_t offset_;
};

}  // namespace

std::optional<std::string> Process::waitForOutput(std::string_view substring, Stream stream,
                                                  std::chrono::milliseconds timeout,
                                                  std::size_t from) {
  LineScanner scanner(outputPath(stream), from);
  std::optional<std::string> found;
  const auto matches = [&](const std::string& line) {
    return line.find(substring) != std::string::npos;
  };
  waitFor(
      [&] {
        const bool exited = hasExited();
        found = scanner.scan(exited, matches);
        return found.has_value() || exited;
      },
      timeout);
  return found;
}

std::optional<OutputMatch> Process::waitForOutput(const std::regex& pattern, Stream stream,
                                                  std::chrono::milliseconds timeout,
                                                  std::size_t from) {
  LineScanner scanner(outputPath(stream), from);
  std::optional<OutputMatch> found;
  const auto matches = [&](const std::string& line) {
    std::smatch match;
    if (!std::regex_search(line, match, pattern)) {
      return false;
    }
    found = OutputMatch{line, {}};
    for (const auto& group : match) {
      found->groups.push_back(group.str());
    }
    return true;
  };
  waitFor(
      [&] {
        const bool exited = hasExited();
        scanner.scan(exited, matches);
        return found.has_value() || exited;
      },
      timeout);
  return found;
}

bool Process::signal(int signo) {
  if (hasExited()) {
    return false;
  }
  return ::kill(pid_, signo) == 0;
}

void Process::recordStatus(int status) {
  reaped_ = true;
  if (WIFEXITED(status)) {
    exitCode_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exitSignal_ = WTERMSIG(status);
    exitCode_ = 128 + *exitSignal_;
  }
}

bool Process::hasExited() {
  if (reaped_ || pid_ <= 0) {
    return true;
  }
  int status = 0;
  pid_t result;
  do {
    result = ::waitpid(pid_, &status, WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == pid_) {
    recordStatus(status);
  } else if (result < 0) {
    reaped_ = true;  // ECHILD: nothing left to wait for
  }
  return reaped_;
}

std::optional<int> Process::waitExit(std::chrono::milliseconds timeout) {
  if (!waitFor([this] { return hasExited(); }, timeout)) {
    return std::nullopt;
  }
  return exitCode_;
}

int Process::terminate(std::chrono::milliseconds grace) {
  if (hasExited()) {
    return exitCode_;
  }
  ::kill(pid_, stopSignal_);
  if (waitExit(grace)) {
    return exitCode_;
  }
  return kill();
}

int Process::kill() {
  if (hasExited()) {
    return exitCode_;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  pid_t result;
  do {
    result = ::waitpid(pid_, &status, 0);
  } while (result < 0 && errno == EINTR);
  if (result == pid_) {
    recordStatus(status);
  } else {
    reaped_ = true;
  }
  return exitCode_;
}

CommandResult runCommand(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                         const Environment& extraEnv) {
  CommandResult result;
  try {
    Process process(std::move(argv), extraEnv);
    if (auto code = process.waitExit(timeout)) {
      result.exitCode = *code;
    } else {
      process.kill();
      result.timedOut = true;
    }
    result.out = process.stdoutText();
    result.err = process.stderrText();
  } catch (const std::exception& e) {
    result.err = e.what();
  }
  return result;
}

}  // namespace weir::test
