// Issue 9 at the unit level: log::escape keeps every event on one line and
// hands no control byte to the reader's terminal (item 12); connection
// limits count an IPv6 host by its /64 (items 4, 15).
#include "core/log.hpp"
#include "core/net_limits.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

namespace {

using sr::log::escape;

TEST(CoreLogEscape, ControlBytesBecomeHex) {
    EXPECT_EQ(escape("a\x1b[31mb"), "a\\x1B[31mb");
    EXPECT_EQ(escape("one\r\nsr-dhtd: error: forged"), "one\\x0D\\x0Asr-dhtd: error: forged");
    EXPECT_EQ(escape(std::string("nul\0tab\t\x7f", 9)), "nul\\x00tab\\x09\\x7F");
}

TEST(CoreLogEscape, BackslashIsEscapedSoTheOriginalCanBeRecovered) {
    EXPECT_EQ(escape("\\x1B"), "\\x5Cx1B");
}

TEST(CoreLogEscape, C1ControlsInUtf8AreEscapedOtherUtf8IsKept) {
    EXPECT_EQ(escape("\xc2\x9b" "2J"), "\\xC2\\x9B2J");  // CSI
    EXPECT_EQ(escape("caf\xc3\xa9 \xc2\xa0"), "caf\xc3\xa9 \xc2\xa0");
    EXPECT_EQ(escape("plain text: 1/2"), "plain text: 1/2");
}

// Refusals an outsider can cause at will are logged at the 1st, 2nd, 4th...
TEST(CoreLogEscape, RefusalsAreLoggedAtPowersOfTwo) {
    int logged = 0;
    for (std::uint64_t n = 1; n <= 1'000'000; ++n) logged += sr::log::worth_logging(n);
    EXPECT_EQ(logged, 20);
    EXPECT_FALSE(sr::log::worth_logging(0));
    EXPECT_TRUE(sr::log::worth_logging(1));
    EXPECT_FALSE(sr::log::worth_logging(3));
}

// Items 4 and 15: a host with a whole IPv6 /64 must not get a fresh
// per-source allowance for each address it picks from it.
TEST(NetLimitSource, AnIpv6HostCountsByItsSlash64AndMappedIpv4AsIpv4) {
    auto v6 = [](const char* text) {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        inet_pton(AF_INET6, text, &sa.sin6_addr);
        return sr::net::limit_source(reinterpret_cast<const sockaddr*>(&sa));
    };
    EXPECT_EQ(v6("2001:db8:1:2::1"), "2001:db8:1:2::/64");
    EXPECT_EQ(v6("2001:db8:1:2:ffff:1234:5678:9abc"), "2001:db8:1:2::/64");
    EXPECT_NE(v6("2001:db8:1:3::1"), v6("2001:db8:1:2::1"));
    EXPECT_EQ(v6("::ffff:192.0.2.7"), "192.0.2.7");
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
    EXPECT_EQ(sr::net::limit_source(reinterpret_cast<const sockaddr*>(&v4)), "192.0.2.7");
}

}  // namespace
