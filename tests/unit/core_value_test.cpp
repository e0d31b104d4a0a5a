// lib/core/value: msgpack <-> Value conversion, bytes, printable forms.
#include "core/error.hpp"
#include "core/value.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace {

using sr::Value;

std::string pack(const std::function<void(sr::Packer&)>& fn) {
    msgpack::sbuffer buf;
    sr::Packer pk(buf);
    fn(pk);
    return std::string(buf.data(), buf.size());
}

void pack_str(sr::Packer& pk, std::string_view s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

Value from_bytes(const std::string& bytes) {
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
    return sr::to_value(oh.get());
}

std::string packed(const Value& v) {
    return pack([&](sr::Packer& pk) { sr::pack_value(pk, v); });
}

Value round_trip(const Value& v) { return from_bytes(packed(v)); }

TEST(CoreValue, Scalars) {
    EXPECT_TRUE(from_bytes(pack([](sr::Packer& pk) { pk.pack_nil(); })).is_null());
    EXPECT_EQ(from_bytes(pack([](sr::Packer& pk) { pk.pack_true(); })), Value(true));
    EXPECT_EQ(from_bytes(pack([](sr::Packer& pk) { pk.pack_false(); })), Value(false));
    Value u = from_bytes(pack([](sr::Packer& pk) { pk.pack_uint64(std::numeric_limits<std::uint64_t>::max()); }));
    EXPECT_TRUE(u.is_number_unsigned());
    EXPECT_EQ(u.get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
    Value i = from_bytes(pack([](sr::Packer& pk) { pk.pack_int64(std::numeric_limits<std::int64_t>::min()); }));
    EXPECT_TRUE(i.is_number_integer());
    EXPECT_EQ(i.get<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
    Value f = from_bytes(pack([](sr::Packer& pk) { pk.pack_double(2.5); }));
    EXPECT_TRUE(f.is_number_float());
    EXPECT_DOUBLE_EQ(f.get<double>(), 2.5);
    Value f32 = from_bytes(pack([](sr::Packer& pk) { pk.pack_float(0.25f); }));
    EXPECT_DOUBLE_EQ(f32.get<double>(), 0.25);
}

TEST(CoreValue, StrBecomesString) {
    Value s = from_bytes(pack([](sr::Packer& pk) { pack_str(pk, "héllo"); }));
    ASSERT_TRUE(s.is_string());
    EXPECT_EQ(s.get<std::string>(), "héllo");
}

TEST(CoreValue, BinBecomesBinary) {
    std::string raw("\x00\x01\xff", 3);
    Value b = from_bytes(pack([&](sr::Packer& pk) {
        pk.pack_bin(3);
        pk.pack_bin_body(raw.data(), 3);
    }));
    ASSERT_TRUE(b.is_binary());
    EXPECT_EQ(sr::value_bytes(b), raw);
}

TEST(CoreValue, StrAndBinStayDistinctOnTheWire) {
    std::string s = packed(Value("ab"));
    std::string b = packed(sr::bytes_value("ab"));
    EXPECT_EQ(s, std::string("\xa2" "ab"));      // fixstr
    EXPECT_EQ(b, std::string("\xc4\x02" "ab"));  // bin8
}

TEST(CoreValue, NestedMapsAndArrays) {
    std::string bytes = pack([](sr::Packer& pk) {
        pk.pack_map(2);
        pack_str(pk, "list");
        pk.pack_array(3);
        pk.pack_int(1);
        pack_str(pk, "two");
        pk.pack_map(1);
        pack_str(pk, "deep");
        pk.pack_bin(1);
        pk.pack_bin_body("\x7f", 1);
        pack_str(pk, "empty");
        pk.pack_map(0);
    });
    Value v = from_bytes(bytes);
    ASSERT_TRUE(v.is_object());
    ASSERT_TRUE(v["list"].is_array());
    ASSERT_EQ(v["list"].size(), 3u);
    EXPECT_EQ(v["list"][0], 1);
    EXPECT_EQ(v["list"][1], "two");
    ASSERT_TRUE(v["list"][2]["deep"].is_binary());
    EXPECT_EQ(sr::value_bytes(v["list"][2]["deep"]), "\x7f");
    EXPECT_TRUE(v["empty"].is_object());
    EXPECT_TRUE(v["empty"].empty());
}

TEST(CoreValue, PackRoundTrip) {
    Value v{{"name", "svc"},
            {"n", -42},
            {"u", 42u},
            {"pi", 3.25},
            {"ok", true},
            {"none", nullptr},
            {"bytes", sr::bytes_value(std::string("\x00\x80\xff", 3))},
            {"list", Value::array({1, "a", Value::array({false}), Value::object()})},
            {"map", {{"inner", {{"x", 1}}}}}};
    Value back = round_trip(v);
    EXPECT_EQ(back, v);
    EXPECT_TRUE(back["bytes"].is_binary());
    EXPECT_TRUE(back["u"].is_number_unsigned());
    EXPECT_TRUE(back["n"].is_number_integer());
}

TEST(CoreValue, NonStringMapKeyIsRefused) {
    EXPECT_THROW(from_bytes(pack([](sr::Packer& pk) {
                     pk.pack_map(1);
                     pk.pack_int(1);
                     pk.pack_int(2);
                 })),
                 sr::DecodeError);
    EXPECT_THROW(from_bytes(pack([](sr::Packer& pk) {
                     pk.pack_map(1);
                     pk.pack_bin(1);
                     pk.pack_bin_body("k", 1);
                     pk.pack_int(2);
                 })),
                 sr::DecodeError);
    // Deep inside an array inside a map.
    EXPECT_THROW(from_bytes(pack([](sr::Packer& pk) {
                     pk.pack_map(1);
                     pack_str(pk, "a");
                     pk.pack_array(1);
                     pk.pack_map(1);
                     pk.pack_nil();
                     pk.pack_nil();
                 })),
                 sr::DecodeError);
}

TEST(CoreValue, ExtIsRefused) {
    EXPECT_THROW(from_bytes(pack([](sr::Packer& pk) {
                     pk.pack_ext(2, 7);
                     pk.pack_ext_body("ab", 2);
                 })),
                 sr::DecodeError);
}

TEST(CoreValue, BytesHelpers) {
    Value b = sr::bytes_value(std::string("a\0b", 3));
    EXPECT_TRUE(b.is_binary());
    EXPECT_EQ(sr::value_bytes(b), std::string("a\0b", 3));
    EXPECT_EQ(sr::value_bytes(Value("text")), "text");
    try {
        sr::value_bytes(Value(5));
        FAIL() << "value_bytes(5) did not throw";
    } catch (const sr::Error& e) {
        EXPECT_EQ(e.code, "invalid_params");
    }
    EXPECT_THROW(sr::value_bytes(Value::object()), sr::Error);
}

TEST(CoreValue, Base64KnownVectors) {
    EXPECT_EQ(sr::base64(""), "");
    EXPECT_EQ(sr::base64("f"), "Zg==");
    EXPECT_EQ(sr::base64("fo"), "Zm8=");
    EXPECT_EQ(sr::base64("foo"), "Zm9v");
    EXPECT_EQ(sr::base64("hello"), "aGVsbG8=");
    EXPECT_EQ(sr::base64(std::string("\xff\xfe", 2)), "//4=");
}

TEST(CoreValue, Utf8Detection) {
    EXPECT_TRUE(sr::is_utf8_text(""));
    EXPECT_TRUE(sr::is_utf8_text("plain ascii\twith tab\nand newline"));
    EXPECT_TRUE(sr::is_utf8_text("é"));                 // 2 bytes
    EXPECT_TRUE(sr::is_utf8_text("€"));                 // 3 bytes
    EXPECT_TRUE(sr::is_utf8_text("\xf0\x9f\x98\x80"));  // 4 bytes
    EXPECT_FALSE(sr::is_utf8_text("\xff"));
    EXPECT_FALSE(sr::is_utf8_text("\xc3"));              // truncated
    EXPECT_FALSE(sr::is_utf8_text("ab\xe2\x82"));        // truncated at the end
    EXPECT_FALSE(sr::is_utf8_text("\xc3\x28"));          // bad continuation
    EXPECT_FALSE(sr::is_utf8_text(std::string("a\0b", 3)));  // control bytes are not text
    EXPECT_FALSE(sr::is_utf8_text("\x01"));
}

TEST(CoreValue, PrintableBinText) {
    Value p = sr::printable(sr::bytes_value("hello"));
    ASSERT_TRUE(p.is_string());
    EXPECT_EQ(p.get<std::string>(), "hello");
}

TEST(CoreValue, PrintableBinNotUtf8BecomesBase64) {
    Value p = sr::printable(sr::bytes_value(std::string("\xff\xfe", 2)));
    EXPECT_EQ(p, (Value{{"base64", "//4="}}));
    EXPECT_EQ(p.dump(), R"({"base64":"//4="})");
}

TEST(CoreValue, PrintableRecursesAndKeepsOtherTypes) {
    Value v{{"text", sr::bytes_value("abc")},
            {"raw", sr::bytes_value(std::string("\x00\x01", 2))},
            {"list", Value::array({sr::bytes_value(std::string("\x80", 1)), 7})},
            {"n", 3},
            {"s", "str"}};
    Value p = sr::printable(v);
    EXPECT_EQ(p["text"], "abc");
    EXPECT_EQ(p["raw"], (Value{{"base64", "AAE="}}));
    EXPECT_EQ(p["list"][0], (Value{{"base64", "gA=="}}));
    EXPECT_EQ(p["list"][1], 7);
    EXPECT_EQ(p["n"], 3);
    EXPECT_EQ(p["s"], "str");
    // No binary left: it serialises as JSON.
    EXPECT_NO_THROW(p.dump());
}

}  // namespace
