// Forwarding and hop-by-hop headers end to end (issue point 7): with `forwardfor: true` weir
// appends the client address to X-Forwarded-For, sets X-Real-IP and X-Forwarded-Proto and keeps
// Host; it removes Connection (and every header it names), Keep-Alive, Proxy-Connection, TE,
// Trailer and Upgrade, in requests and in responses. Asserted on the head the fake backend
// recorded and on the response the client got.

#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

class ForwardingHeadersTest : public ::testing::Test {
 protected:
  void startWeir(bool forwardfor = true) {
    weir_ = std::make_unique<WeirInstance>(simpleConfig(
        {backend_.address()}, "", std::string("forwardfor: ") + (forwardfor ? "true" : "false")));
  }

  /// Sends one GET with `headers` (whole lines) through weir; the head the backend received.
  RecordedRequest forward(const std::vector<std::string>& headers, std::string_view target = "/") {
    const HttpResponse response = httpGet(weir_->port(), target, headers);
    EXPECT_TRUE(response.ok()) << response.error;
    EXPECT_EQ(response.status, 200) << response.describe();
    if (!backend_.waitForRecords(1)) {
      ADD_FAILURE() << "the backend recorded no request";
      return {};
    }
    return backend_.records().back();
  }

  FakeBackend backend_{"s1"};
  std::unique_ptr<WeirInstance> weir_;
};

// --- forwardfor: true -------------------------------------------------------------------------

TEST_F(ForwardingHeadersTest, AddsClientAddressAsXForwardedFor) {
  startWeir();

  const RecordedRequest record = forward({});

  EXPECT_EQ(record.headers().getAll("X-Forwarded-For"), std::vector<std::string>{"127.0.0.1"})
      << escapeBytes(record.head);
}

TEST_F(ForwardingHeadersTest, AppendsClientAddressToExistingXForwardedFor) {
  startWeir();

  const RecordedRequest record = forward({"X-Forwarded-For: 203.0.113.7, 198.51.100.2"});

  // One field or several, the list must be the old hops followed by this client.
  std::string list;
  for (const std::string& value : record.headers().getAll("X-Forwarded-For")) {
    list += (list.empty() ? "" : ", ") + value;
  }
  EXPECT_EQ(list, "203.0.113.7, 198.51.100.2, 127.0.0.1") << escapeBytes(record.head);
}

TEST_F(ForwardingHeadersTest, SetsXRealIpToClientAddress) {
  startWeir();

  const RecordedRequest record = forward({});

  EXPECT_EQ(record.headers().getAll("X-Real-IP"), std::vector<std::string>{"127.0.0.1"})
      << escapeBytes(record.head);
}

TEST_F(ForwardingHeadersTest, ReplacesXRealIpSentByClient) {
  startWeir();

  const RecordedRequest record = forward({"X-Real-IP: 10.9.9.9"});

  EXPECT_EQ(record.headers().getAll("X-Real-IP"), std::vector<std::string>{"127.0.0.1"})
      << escapeBytes(record.head);
}

TEST_F(ForwardingHeadersTest, SetsXForwardedProtoToHttp) {
  startWeir();

  const RecordedRequest record = forward({"X-Forwarded-Proto: https"});

  EXPECT_EQ(record.headers().getAll("X-Forwarded-Proto"), std::vector<std::string>{"http"})
      << escapeBytes(record.head);
}

TEST_F(ForwardingHeadersTest, KeepsHostAsSentByClient) {
  startWeir();

  const RecordedRequest record = forward({"Host: shop.example:8080"});

  EXPECT_EQ(record.headers().getAll("Host"), std::vector<std::string>{"shop.example:8080"})
      << escapeBytes(record.head);
}

// --- forwardfor: false ------------------------------------------------------------------------

TEST_F(ForwardingHeadersTest, AddsNoForwardingHeadersWhenForwardforIsOff) {
  startWeir(/*forwardfor=*/false);

  const RecordedRequest record = forward({});

  const HeaderList headers = record.headers();
  EXPECT_FALSE(headers.has("X-Forwarded-For")) << escapeBytes(record.head);
  EXPECT_FALSE(headers.has("X-Real-IP")) << escapeBytes(record.head);
  EXPECT_FALSE(headers.has("X-Forwarded-Proto")) << escapeBytes(record.head);
}

TEST_F(ForwardingHeadersTest, PassesClientXForwardedForUntouchedWhenForwardforIsOff) {
  startWeir(/*forwardfor=*/false);

  const RecordedRequest record = forward({"X-Forwarded-For: 203.0.113.7"});

  EXPECT_EQ(record.headers().getAll("X-Forwarded-For"), std::vector<std::string>{"203.0.113.7"})
      << escapeBytes(record.head);
}

// --- hop-by-hop request headers ---------------------------------------------------------------

TEST_F(ForwardingHeadersTest, RemovesConnectionAndTheRequestHeadersItNames) {
  startWeir();

  const RecordedRequest record =
      forward({"Connection: close, X-Hop-One,X-Hop-Two", "X-Hop-One: 1", "X-Hop-Two: 2",
               "X-End-To-End: kept"});

  const HeaderList headers = record.headers();
  EXPECT_FALSE(headers.has("X-Hop-One")) << escapeBytes(record.head);
  EXPECT_FALSE(headers.has("X-Hop-Two")) << escapeBytes(record.head);
  EXPECT_EQ(lowercase(headers.value("Connection")).find("x-hop"), std::string::npos)
      << escapeBytes(record.head);
  EXPECT_EQ(headers.value("X-End-To-End"), "kept");
}

struct HopHeader {
  const char* name;
  const char* value;
};

/// "Keep-Alive" -> "KeepAlive": gtest names allow only letters, digits and '_'.
std::string hopHeaderTestName(const ::testing::TestParamInfo<HopHeader>& param) {
  std::string name = param.param.name;
  std::erase(name, '-');
  return name;
}

class RemovesHopByHopRequestHeader : public ForwardingHeadersTest,
                                     public ::testing::WithParamInterface<HopHeader> {};

TEST_P(RemovesHopByHopRequestHeader, BeforeForwardingToServer) {
  startWeir();
  const HopHeader hop = GetParam();

  const RecordedRequest record =
      forward({std::string(hop.name) + ": " + hop.value, "X-End-To-End: kept"});

  EXPECT_FALSE(record.headers().has(hop.name)) << escapeBytes(record.head);
  EXPECT_EQ(record.header("X-End-To-End"), "kept");
}

// Upgrade without `Connection: upgrade` is no tunnel request: it is just a hop-by-hop field.
INSTANTIATE_TEST_SUITE_P(ForwardingHeadersTest, RemovesHopByHopRequestHeader,
                         ::testing::Values(HopHeader{"Keep-Alive", "timeout=5, max=100"},
                                           HopHeader{"Proxy-Connection", "keep-alive"},
                                           HopHeader{"TE", "trailers"},
                                           HopHeader{"Trailer", "X-Checksum"},
                                           HopHeader{"Upgrade", "h2c"}),
                         hopHeaderTestName);

// --- hop-by-hop response headers --------------------------------------------------------------

TEST_F(ForwardingHeadersTest, RemovesConnectionAndTheResponseHeadersItNames) {
  startWeir();

  const HttpResponse response = httpGet(
      weir_->port(), "/?header=Connection:X-Server-Hop&header=X-Server-Hop:1&header=X-Kept:yes");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_FALSE(response.headers.has("X-Server-Hop")) << escapeBytes(response.raw);
  EXPECT_EQ(lowercase(response.header("Connection")).find("x-server-hop"), std::string::npos)
      << escapeBytes(response.raw);
  EXPECT_EQ(response.header("X-Kept"), "yes");
}

class RemovesHopByHopResponseHeader : public ForwardingHeadersTest,
                                      public ::testing::WithParamInterface<HopHeader> {};

TEST_P(RemovesHopByHopResponseHeader, BeforeForwardingToClient) {
  startWeir();
  const HopHeader hop = GetParam();

  const HttpResponse response = httpGet(
      weir_->port(), std::string("/?header=") + hop.name + ":" + hop.value + "&header=X-Kept:yes");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.headers.has(hop.name)) << escapeBytes(response.raw);
  EXPECT_EQ(response.header("X-Kept"), "yes");
}

INSTANTIATE_TEST_SUITE_P(ForwardingHeadersTest, RemovesHopByHopResponseHeader,
                         ::testing::Values(HopHeader{"Keep-Alive", "timeout=5"},
                                           HopHeader{"Proxy-Connection", "keep-alive"},
                                           HopHeader{"Trailer", "X-Checksum"},
                                           HopHeader{"Upgrade", "h2c"}),
                         hopHeaderTestName);

}  // namespace
}  // namespace weir::test
