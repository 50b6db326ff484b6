// `weir import` as users run it: the YAML on stdout, each line it could not convert on stderr
// as FILE:LINE, and the YAML loads in `weir -c` once the files and names it refers to exist
// on this machine (certificates made by the test, app hosts pointed at 127.0.0.1).

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"
#include "support/test_certificates.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

std::string sampleDir() {
  const std::string file = __FILE__;  // tests/integration/... -> tests/import/
  return file.substr(0, file.rfind("/integration/")) + "/import/";
}

CommandResult weirCommand(std::vector<std::string> args) {
  args.insert(args.begin(), WEIR_BINARY);
  return runCommand(std::move(args), 10s);
}

/// The converted YAML with what it names made to exist here.
std::string localized(std::string yaml, const TempDir& dir) {
  for (const char* path : {"/etc/ssl/certs/chinook.pem", "/etc/haproxy/certs/shop.pem", "/etc/haproxy/certs/shop-ecdsa.pem",
                           "/etc/haproxy/ca.pem", "/etc/nginx/certs/shop.crt", "/etc/nginx/certs/shop.key"}) {
    const std::string local = dir.filePath(std::string(path).substr(std::string(path).rfind('/') + 1)).string();
    for (size_t at = yaml.find(path); at != std::string::npos; at = yaml.find(path)) yaml.replace(at, std::string(path).size(), local);
  }
  return std::regex_replace(yaml, std::regex(R"(\bapp[0-9]:80\b)"), "127.0.0.1:80");
}

class ImportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace t = tls::testing;
    tls::EvpPkeyPtr rsa = t::makeKey(false), ec = t::makeKey(true);
    t::writePem(dir_.filePath("chinook.pem").string(), t::makeCert(rsa.get(), "chinook", {"chinook.local"}).get(), rsa.get(), true);
    t::writePem(dir_.filePath("shop.pem").string(), t::makeCert(rsa.get(), "shop", {"shop.example"}).get(), rsa.get(), true);
    t::writePem(dir_.filePath("shop-ecdsa.pem").string(), t::makeCert(ec.get(), "shop", {"shop.example"}).get(), ec.get(), true);
    t::writePem(dir_.filePath("ca.pem").string(), t::makeCert(rsa.get(), "ca", {}).get(), rsa.get(), false);
    t::writePem(dir_.filePath("shop.crt").string(), t::makeCert(rsa.get(), "shop", {"shop.example"}).get(), rsa.get(), false,
                dir_.filePath("shop.key").string());
  }
  TempDir dir_;
};

TEST_F(ImportCommand, EverySampleConvertsListsWhatItLeftAndLoads) {
  for (const char* sample : {"scaling-guide-haproxy.cfg", "scaling-guide-nginx.conf", "shop-haproxy.cfg", "shop-nginx.conf",
                             "readme-haproxy.cfg", "readme-nginx.conf"}) {
    SCOPED_TRACE(sample);
    const std::string path = sampleDir() + sample;
    const CommandResult imported = weirCommand({"import", path});
    ASSERT_EQ(imported.exitCode, 0) << imported.err;
    // Every note of the YAML's header is also on stderr, with the file and line.
    const std::regex noteInYaml(R"(#   line ([0-9]+): )");
    size_t notes = 0;
    for (std::sregex_iterator it(imported.out.begin(), imported.out.end(), noteInYaml), end; it != end; ++it, ++notes)
      EXPECT_NE(imported.err.find(path + ":" + (*it)[1].str() + ": not converted: "), std::string::npos) << imported.err;
    EXPECT_NE(imported.err.find(std::to_string(notes) + " line(s) not converted"), std::string::npos) << imported.err;

    const std::string config = dir_.writeFile(std::string(sample) + ".yaml", localized(imported.out, dir_)).string();
    const CommandResult check = weirCommand({"-c", "-f", config});
    EXPECT_EQ(check.exitCode, 0) << check.err << "\n" << localized(imported.out, dir_);
  }
}

TEST_F(ImportCommand, ABrokenNginxFileIsAnErrorAndAnUnknownFormatIsRefused) {
  const std::string broken = dir_.writeFile("broken.conf", "upstream u {\n  server 127.0.0.1;\n").string();
  const CommandResult r = weirCommand({"import", broken});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("unexpected end of file"), std::string::npos) << r.err;
  EXPECT_EQ(weirCommand({"import", "--from", "apache", broken}).exitCode, 1);
}

}  // namespace
}  // namespace weir::test
