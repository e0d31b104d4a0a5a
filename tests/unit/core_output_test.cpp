// lib/core/output: TSV and JSON Lines records of the client tools.
#include "core/output.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using sr::Value;

// Captures what an Output writes, through a memory stream.
class Captured {
  public:
    Captured() : file_(open_memstream(&buf_, &len_)) {}
    ~Captured() {
        if (file_) std::fclose(file_);
        std::free(buf_);
    }
    std::FILE* file() { return file_; }
    // Output flushes after every row, so the buffer is current.
    std::string text() const { return buf_ ? std::string(buf_, len_) : std::string(); }

  private:
    char* buf_ = nullptr;
    std::size_t len_ = 0;
    std::FILE* file_;
};

TEST(CoreOutput, TsvFieldEscapes) {
    EXPECT_EQ(sr::tsv_field(Value("plain")), "plain");
    EXPECT_EQ(sr::tsv_field(Value("a\tb")), "a\\tb");
    EXPECT_EQ(sr::tsv_field(Value("a\nb")), "a\\nb");
    EXPECT_EQ(sr::tsv_field(Value("a\rb")), "a\\rb");
    EXPECT_EQ(sr::tsv_field(Value("a\\b")), "a\\\\b");
    EXPECT_EQ(sr::tsv_field(Value("\t\n\\")), "\\t\\n\\\\");
    EXPECT_EQ(sr::tsv_field(Value("")), "");
}

TEST(CoreOutput, TsvFieldNullIsDash) {
    EXPECT_EQ(sr::tsv_field(Value()), "-");
    EXPECT_EQ(sr::tsv_field(Value(nullptr)), "-");
}

TEST(CoreOutput, TsvFieldScalarsAndStructures) {
    EXPECT_EQ(sr::tsv_field(Value(42)), "42");
    EXPECT_EQ(sr::tsv_field(Value(-7)), "-7");
    EXPECT_EQ(sr::tsv_field(Value(true)), "true");
    EXPECT_EQ(sr::tsv_field(Value(1.5)), "1.5");
    EXPECT_EQ(sr::tsv_field(Value{{"a", 1}, {"b", "x"}}), R"({"a":1,"b":"x"})");
    EXPECT_EQ(sr::tsv_field(Value::array({1, 2})), "[1,2]");
    // JSON inside a field still has its tabs and newlines escaped.
    EXPECT_EQ(sr::tsv_field(Value::array({"a\tb"})), R"(["a\\tb"])");
}

TEST(CoreOutput, TsvFieldBytes) {
    EXPECT_EQ(sr::tsv_field(sr::bytes_value("text")), "text");
    EXPECT_EQ(sr::tsv_field(sr::bytes_value("a\tb")), "a\\tb");
    EXPECT_EQ(sr::tsv_field(sr::bytes_value(std::string("\xff\x00", 2))), R"({"base64":"/wA="})");
}

TEST(CoreOutput, TsvFieldInvalidUtf8InsideAMapDoesNotThrow) {
    // A str from the wire is not checked for UTF-8; printing it must not fail.
    Value v{{"k", std::string("bad\xff")}};
    std::string out;
    EXPECT_NO_THROW(out = sr::tsv_field(v));
    EXPECT_EQ(out.rfind("{\"k\":\"bad", 0), 0u) << out;
}

TEST(CoreOutput, TsvRowsInColumnOrder) {
    Captured cap;
    sr::Output out({}, {"key", "value", "ttl"}, cap.file());
    out.row(Value{{"ttl", 60}, {"value", "v1"}, {"key", "k1"}, {"extra", "ignored"}});
    out.row(Value{{"key", "k2"}, {"value", nullptr}});
    EXPECT_EQ(cap.text(), "k1\tv1\t60\nk2\t-\t-\n");
}

TEST(CoreOutput, TsvEscapesInsideRows) {
    Captured cap;
    sr::Output out({}, {"a", "b"}, cap.file());
    out.row(Value{{"a", "x\ty"}, {"b", "line1\nline2"}});
    EXPECT_EQ(cap.text(), "x\\ty\tline1\\nline2\n");
}

TEST(CoreOutput, NoHeaderByDefault) {
    Captured cap;
    sr::Output out({}, {"key", "value"}, cap.file());
    out.row(Value{{"key", "k"}, {"value", "v"}});
    EXPECT_EQ(cap.text(), "k\tv\n");
}

TEST(CoreOutput, HeaderOnceWithH) {
    Captured cap;
    sr::OutputOptions opts;
    opts.header = true;
    sr::Output out(opts, {"key", "value"}, cap.file());
    out.row(Value{{"key", "k1"}, {"value", "v1"}});
    out.row(Value{{"key", "k2"}, {"value", "v2"}});
    EXPECT_EQ(cap.text(), "key\tvalue\nk1\tv1\nk2\tv2\n");
}

TEST(CoreOutput, HeaderWithoutRowsPrintsNothing) {
    Captured cap;
    sr::OutputOptions opts;
    opts.header = true;
    { sr::Output out(opts, {"key"}, cap.file()); }
    EXPECT_EQ(cap.text(), "");
}

TEST(CoreOutput, JsonLines) {
    Captured cap;
    sr::OutputOptions opts;
    opts.json = true;
    opts.header = true;  // no header in JSON mode
    sr::Output out(opts, {"key"}, cap.file());
    out.row(Value{{"key", "k1"}, {"n", 1}, {"blob", sr::bytes_value(std::string("\xff", 1))}});
    out.row(Value{{"key", "line\nbreak"}});
    EXPECT_EQ(cap.text(),
              "{\"blob\":{\"base64\":\"/w==\"},\"key\":\"k1\",\"n\":1}\n"
              "{\"key\":\"line\\nbreak\"}\n");
}

TEST(CoreOutput, JsonLinesEachLineParses) {
    Captured cap;
    sr::OutputOptions opts;
    opts.json = true;
    sr::Output out(opts, {}, cap.file());
    Value rec{{"a", Value::array({1, "x\ty"})}, {"b", {{"c", nullptr}}}};
    out.row(rec);
    out.row(rec);
    std::string text = cap.text();
    auto nl = text.find('\n');
    ASSERT_NE(nl, std::string::npos);
    EXPECT_EQ(Value::parse(text.substr(0, nl)), rec);
    EXPECT_EQ(text.substr(nl + 1), text.substr(0, nl + 1));
}

TEST(CoreOutput, JsonInvalidUtf8IsReplacedNotFatal) {
    Captured cap;
    sr::OutputOptions opts;
    opts.json = true;
    sr::Output out(opts, {}, cap.file());
    EXPECT_NO_THROW(out.row(Value{{"k", std::string("bad\xff")}}));
    EXPECT_EQ(cap.text(), "{\"k\":\"bad\xef\xbf\xbd\"}\n");
}

TEST(CoreOutput, IntegersPast2To53AreStringsInJson) {
    sr::Value v{{"vid", std::uint64_t{13307118546108766430u}}, {"seq", std::uint64_t{1796605008912124}},
                {"neg", std::int64_t{-9007199254740993}}};
    sr::Value p = sr::printable(v);
    EXPECT_EQ(p["vid"], "13307118546108766430");
    EXPECT_EQ(p["seq"], std::uint64_t{1796605008912124});  // exact in a double: a number still
    EXPECT_EQ(p["neg"], "-9007199254740993");
}

}  // namespace
