// Issue 9 item 12 at the unit level: log::escape keeps every event on one
// line and hands no control byte to the reader's terminal.
#include "core/log.hpp"

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

}  // namespace
