// HeaderMap's slot reuse: fields are kept in order, removed fields' slots are reused, and what
// a map keeps between messages stays bounded.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "weir/http/header_map.h"

namespace weir::http {
namespace {

std::string fieldsOf(const HeaderMap& m) {
  std::string out;
  for (const Header& h : m) out += h.name + "=" + h.value + ";";
  return out;
}

TEST(HeaderMap, RemoveKeepsTheOrderOfTheRestAndSlotsAreReused) {
  HeaderMap m;
  m.add("A", "1");
  m.add("B", "2");
  m.add("a", "3");
  m.add("C", "4");
  EXPECT_EQ(m.remove("a"), 2u);
  EXPECT_EQ(fieldsOf(m), "B=2;C=4;");
  m.add("D", "5");
  EXPECT_EQ(fieldsOf(m), "B=2;C=4;D=5;");
  m.set("c", "6");
  EXPECT_EQ(fieldsOf(m), "B=2;D=5;c=6;");
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.begin(), m.end());
  m.add("E", "7");
  EXPECT_EQ(fieldsOf(m), "E=7;");
}

TEST(HeaderMap, KnownFieldsAreRecognisedInAnyCaseAndOnlyByTheirWholeName) {
  const std::pair<const char*, FieldId> known[] = {
      {"Connection", FieldId::kConnection},           {"content-length", FieldId::kContentLength},
      {"EXPECT", FieldId::kExpect},                   {"Host", FieldId::kHost},
      {"Keep-Alive", FieldId::kKeepAlive},            {"Proxy-Connection", FieldId::kProxyConnection},
      {"TE", FieldId::kTe},                           {"Trailer", FieldId::kTrailer},
      {"Transfer-Encoding", FieldId::kTransferEncoding}, {"Upgrade", FieldId::kUpgrade},
      {"X-Forwarded-For", FieldId::kXForwardedFor},   {"x-forwarded-proto", FieldId::kXForwardedProto},
      {"X-Real-IP", FieldId::kXRealIp},
  };
  for (const auto& [name, id] : known) EXPECT_EQ(fieldIdOf(name), id) << name;
  // Same lengths and first letters as known names, one byte off; and the empty name.
  for (const char* other : {"", "tf", "hosts", "hose", "expecT1", "trailed", "upgradE-", "Connectiom", "keep-alivf",
                            "content-lengti", "x-forwarded-fox", "proxy-connectiom", "transfer-encodinh",
                            "x-forwarded-prota", "x-real-ib", "Tailer", "xpgrade"}) {
    EXPECT_EQ(fieldIdOf(other), FieldId::kOther) << other;
  }
}

TEST(HeaderMap, LookupsByNameAndByIdAgree) {
  HeaderMap m;
  m.add("HOST", "a");
  m.add("X-Custom", "b");
  m.add("connection", "close, X-Custom");
  m.add("x-custom", "c");
  m.add("Content-Length", "5");
  EXPECT_EQ(*m.get("host"), "a");
  EXPECT_EQ(*m.get(FieldId::kHost), "a");
  EXPECT_EQ(*m.get("X-CUSTOM"), "b");  // an unknown name: compared by name
  EXPECT_EQ(m.count("x-custom"), 2u);
  EXPECT_EQ(m.count(FieldId::kContentLength), 1u);
  EXPECT_EQ(m.get(FieldId::kExpect), nullptr);
  EXPECT_TRUE(m.hasToken(FieldId::kConnection, "x-custom"));
  EXPECT_TRUE(m.hasToken("Connection", "close"));
  EXPECT_FALSE(m.hasToken(FieldId::kUpgrade, "close"));
  EXPECT_EQ(m.remove(FieldId::kConnection), 1u);
  EXPECT_EQ(m.remove("content-length"), 1u);
  EXPECT_EQ(fieldsOf(m), "HOST=a;X-Custom=b;x-custom=c;");
  // A reused slot takes the id of its new name.
  m.clear();
  m.add("Expect", "100-continue");
  m.add("Server", "x");
  EXPECT_EQ(m.get(FieldId::kHost), nullptr);
  EXPECT_EQ(*m.get(FieldId::kExpect), "100-continue");
  EXPECT_EQ(*m.get("server"), "x");
}

TEST(HeaderMap, ClearKeepsABoundedAmountOfMemory) {
  HeaderMap m;
  // A client's head of 100 fields of 10 KiB each: after clear() the map keeps at most
  // kRetainedBytes of string capacity, not a megabyte.
  for (int i = 0; i < 100; ++i) m.add("X-Field-" + std::to_string(i), std::string(10 * 1024, 'v'));
  m.clear();
  size_t kept = 0;
  m.add("Probe", "x");  // the first slot, to reach the others through a full map again
  m.clear();
  for (int i = 0; i < 100; ++i) m.add("", "");
  for (const Header& h : m) {
    if (h.name.capacity() > std::string().capacity()) kept += h.name.capacity();
    if (h.value.capacity() > std::string().capacity()) kept += h.value.capacity();
  }
  EXPECT_LE(kept, HeaderMap::kRetainedBytes);
}

TEST(HeaderMap, ClearKeepsEverydayFieldsCapacity) {
  HeaderMap m;
  const std::string agent(100, 'u');
  m.add("User-Agent", agent);
  const char* before = m.begin()->value.data();
  m.clear();
  m.add("User-Agent", agent);
  EXPECT_EQ(m.begin()->value.data(), before);  // the same buffer: no allocation
}

TEST(HeaderMap, AMovedFromMapIsEmptyAndUsable) {
  HeaderMap a;
  a.add("A", "1");
  a.add("B", "2");
  HeaderMap b(std::move(a));
  EXPECT_EQ(fieldsOf(b), "A=1;B=2;");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  a.add("C", "3");
  EXPECT_EQ(fieldsOf(a), "C=3;");
  HeaderMap c;
  c = std::move(b);
  EXPECT_EQ(fieldsOf(c), "A=1;B=2;");
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(HeaderMap, AddingAFieldsOwnValueWhileGrowingIsSafe) {
  HeaderMap m;
  m.add("A", "short");
  for (int i = 0; i < 40; ++i) m.add("Copy", *m.get("a"));  // the vector grows under the view
  EXPECT_EQ(m.count("copy"), 40u);
  for (const Header& h : m) EXPECT_EQ(h.value, "short");
}

TEST(HeaderMap, ACopyHasOnlyTheFields) {
  HeaderMap a;
  for (int i = 0; i < 10; ++i) a.add("F", std::to_string(i));
  a.clear();
  a.add("Only", "1");
  HeaderMap b(a);
  EXPECT_EQ(fieldsOf(b), "Only=1;");
  HeaderMap c;
  c.add("X", "y");
  c = a;
  EXPECT_EQ(fieldsOf(c), "Only=1;");
}

}  // namespace
}  // namespace weir::http
