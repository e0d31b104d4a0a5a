// lib/core/id: 128-bit identifiers, ring arithmetic, name hashing.
#include "core/id.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {

using sr::Id;

Id hex(const char* s) {
    auto id = Id::from_hex(s);
    EXPECT_TRUE(id.has_value()) << s;
    return id.value_or(Id{});
}

const Id max_id{~0ULL, ~0ULL};

TEST(CoreId, HexRoundTrip) {
    const char* text = "0123456789abcdeffedcba9876543210";
    Id id = hex(text);
    EXPECT_EQ(id.hi, 0x0123456789abcdefULL);
    EXPECT_EQ(id.lo, 0xfedcba9876543210ULL);
    EXPECT_EQ(id.hex(), text);
    EXPECT_EQ(Id{}.hex(), std::string(32, '0'));
    EXPECT_EQ(max_id.hex(), std::string(32, 'f'));
}

TEST(CoreId, HexAcceptsUppercaseWritesLowercase) {
    Id id = hex("ABCDEF0123456789ABCDEF0123456789");
    EXPECT_EQ(id.hex(), "abcdef0123456789abcdef0123456789");
}

TEST(CoreId, HexRejectsBadInput) {
    EXPECT_FALSE(Id::from_hex(""));
    EXPECT_FALSE(Id::from_hex("0123456789abcdef0123456789abcde"));    // 31 digits
    EXPECT_FALSE(Id::from_hex("0123456789abcdef0123456789abcdef0"));  // 33 digits
    EXPECT_FALSE(Id::from_hex("0123456789abcdef0123456789abcdeg"));
    EXPECT_FALSE(Id::from_hex("0x23456789abcdef0123456789abcdef"));
    EXPECT_FALSE(Id::from_hex(" 123456789abcdef0123456789abcdef"));
}

TEST(CoreId, BytesAreBigEndianAndRoundTrip) {
    Id id = hex("000102030405060708090a0b0c0d0e0f");
    auto b = id.bytes();
    for (int i = 0; i < 16; ++i) EXPECT_EQ(b[i], i) << "byte " << i;
    EXPECT_EQ(Id::from_bytes(b.data()), id);

    Id other = hex("f0e1d2c3b4a5968778695a4b3c2d1e0f");
    auto ob = other.bytes();
    EXPECT_EQ(ob[0], 0xf0);
    EXPECT_EQ(ob[15], 0x0f);
    EXPECT_EQ(Id::from_bytes(ob.data()), other);
}

TEST(CoreId, DigitsBase16) {
    Id id = hex("0123456789abcdeffedcba9876543210");
    const char* text = "0123456789abcdeffedcba9876543210";
    for (int i = 0; i < 32; ++i) {
        unsigned expect = std::stoul(std::string(1, text[i]), nullptr, 16);
        EXPECT_EQ(id.digit(i), expect) << "digit " << i;
        EXPECT_EQ(id.digit(i, 4), expect) << "digit " << i;
    }
}

TEST(CoreId, DigitsOtherBases) {
    Id id = hex("80000000000000000000000000000001");
    EXPECT_EQ(id.digit(0, 1), 1u);
    EXPECT_EQ(id.digit(1, 1), 0u);
    EXPECT_EQ(id.digit(127, 1), 1u);
    EXPECT_EQ(id.digit(126, 1), 0u);
    EXPECT_EQ(id.digit(0, 2), 2u);   // 0b10
    EXPECT_EQ(id.digit(63, 2), 1u);  // 0b01
    Id bytes = hex("00112233445566778899aabbccddeeff");
    for (int i = 0; i < 16; ++i) EXPECT_EQ(bytes.digit(i, 8), 0x11u * i) << "byte digit " << i;
    EXPECT_EQ(bytes.digit(0, 16), 0x0011u);
    EXPECT_EQ(bytes.digit(4, 16), 0x8899u);
    EXPECT_EQ(bytes.digit(7, 16), 0xeeffu);
}

TEST(CoreId, SharedPrefix) {
    Id a = hex("0123456789abcdeffedcba9876543210");
    EXPECT_EQ(a.shared_prefix(a), 32);
    EXPECT_EQ(a.shared_prefix(a, 1), 128);
    EXPECT_EQ(a.shared_prefix(a, 8), 16);

    Id first = hex("1123456789abcdeffedcba9876543210");
    EXPECT_EQ(a.shared_prefix(first), 0);

    Id in_hi = hex("0123456789abcdfffedcba9876543210");  // differs in digit 14
    EXPECT_EQ(a.shared_prefix(in_hi), 14);
    EXPECT_EQ(in_hi.shared_prefix(a), 14);

    Id at_word = hex("0123456789abcdef0edcba9876543210");  // differs in digit 16 (first of lo)
    EXPECT_EQ(a.shared_prefix(at_word), 16);

    Id in_lo = hex("0123456789abcdeffedcba9876543211");  // differs in the last bit
    EXPECT_EQ(a.shared_prefix(in_lo), 31);
    EXPECT_EQ(a.shared_prefix(in_lo, 1), 127);
    EXPECT_EQ(a.shared_prefix(in_lo, 2), 63);

    // Bit-level: 0x8 vs 0xc share one leading bit, no base-4 digit.
    Id x = hex("80000000000000000000000000000000");
    Id y = hex("c0000000000000000000000000000000");
    EXPECT_EQ(x.shared_prefix(y, 1), 1);
    EXPECT_EQ(x.shared_prefix(y, 2), 0);
    EXPECT_EQ(x.shared_prefix(y, 4), 0);
}

TEST(CoreId, AdditionAndSubtractionCarry) {
    Id lo_max{0, ~0ULL};
    Id one{0, 1};
    EXPECT_EQ(lo_max + one, (Id{1, 0}));
    EXPECT_EQ((Id{1, 0}) - one, lo_max);
    EXPECT_EQ(max_id + one, Id{});   // wraps modulo 2^128
    EXPECT_EQ(Id{} - one, max_id);
    Id a = hex("0123456789abcdeffedcba9876543210");
    Id b = hex("fedcba98765432100123456789abcdef");
    EXPECT_EQ(a + b - b, a);
    EXPECT_EQ(a - b + b, a);
}

TEST(CoreId, OrderingIsNumeric) {
    EXPECT_LT((Id{0, ~0ULL}), (Id{1, 0}));
    EXPECT_LT((Id{1, 0}), (Id{1, 1}));
    EXPECT_GT(max_id, (Id{0x7fffffffffffffffULL, ~0ULL}));
    EXPECT_EQ(hex("0000000000000000000000000000000a"), (Id{0, 10}));
}

TEST(CoreId, ClockwiseDistanceWrapsAround) {
    Id a = max_id - Id{0, 1};  // 2^128 - 2
    Id b{0, 1};
    EXPECT_EQ(sr::cw_distance(a, b), (Id{0, 3}));
    EXPECT_EQ(sr::cw_distance(b, a), max_id - (Id{0, 2}));  // 2^128 - 3
    EXPECT_EQ(sr::cw_distance(a, a), Id{});
}

TEST(CoreId, RingDistanceIsTheShorterWay) {
    Id a = max_id - Id{0, 1};
    Id b{0, 1};
    EXPECT_EQ(sr::ring_distance(a, b), (Id{0, 3}));
    EXPECT_EQ(sr::ring_distance(b, a), (Id{0, 3}));
    EXPECT_EQ(sr::ring_distance(a, a), Id{});

    Id x{0, 100}, y{0, 250};
    EXPECT_EQ(sr::ring_distance(x, y), (Id{0, 150}));
    EXPECT_EQ(sr::ring_distance(y, x), (Id{0, 150}));

    // Exactly opposite points: half the ring either way.
    Id half{0x8000000000000000ULL, 0};
    EXPECT_EQ(sr::ring_distance(Id{}, half), half);
    EXPECT_EQ(sr::ring_distance(half, Id{}), half);

    // Just past halfway the other way round is shorter.
    Id past = half + Id{0, 5};
    EXPECT_EQ(sr::ring_distance(Id{}, past), half - (Id{0, 5}));
}

TEST(CoreId, CloserTo) {
    Id key{0, 1000};
    EXPECT_TRUE(sr::closer_to(key, Id{0, 1001}, Id{0, 1100}));
    EXPECT_FALSE(sr::closer_to(key, Id{0, 1100}, Id{0, 1001}));
    EXPECT_TRUE(sr::closer_to(key, Id{0, 990}, Id{0, 1100}));
    EXPECT_FALSE(sr::closer_to(key, Id{0, 990}, Id{0, 990}));  // strict
    // Across zero: max_id is 1 away from key 0, while 5 is 5 away.
    EXPECT_TRUE(sr::closer_to(Id{}, max_id, Id{0, 5}));
    EXPECT_FALSE(sr::closer_to(Id{}, Id{0, 5}, max_id));
}

TEST(CoreId, CloserToBreaksTiesBySmallerId) {
    Id key{0, 1000};
    Id below{0, 995}, above{0, 1005};
    EXPECT_TRUE(sr::closer_to(key, below, above));
    EXPECT_FALSE(sr::closer_to(key, above, below));

    // The tie across the wrap: -5 and +5 from key 0; +5 is the smaller id.
    Id plus5{0, 5};
    Id minus5 = Id{} - plus5;
    EXPECT_EQ(sr::ring_distance(Id{}, plus5), sr::ring_distance(Id{}, minus5));
    EXPECT_TRUE(sr::closer_to(Id{}, plus5, minus5));
    EXPECT_FALSE(sr::closer_to(Id{}, minus5, plus5));
}

TEST(CoreId, HashKnownVectors) {
    // printf 'kv:hello' | sha256sum -> ba8d5078e1c7bd98f04f803ce1d73a00...
    EXPECT_EQ(Id::hash("kv", "hello").hex(), "ba8d5078e1c7bd98f04f803ce1d73a00");
    // printf 'hello' | sha256sum -> 2cf24dba5fb0a30e26e83b2ac5b9e29e...
    EXPECT_EQ(Id::hash("", "hello").hex(), "2cf24dba5fb0a30e26e83b2ac5b9e29e");
    EXPECT_NE(Id::hash("svc", "hello"), Id::hash("kv", "hello"));
    EXPECT_EQ(Id::hash("kv", "hello"), Id::hash("kv", "hello"));
}

TEST(CoreId, RandomIdsDiffer) {
    std::set<Id> seen;
    for (int i = 0; i < 64; ++i) seen.insert(Id::random());
    EXPECT_EQ(seen.size(), 64u);
    EXPECT_EQ(seen.count(Id{}), 0u);
}

TEST(CoreId, IdHashSpreadsIds) {
    sr::IdHash h;
    EXPECT_EQ(h(Id{1, 2}), h(Id{1, 2}));
    EXPECT_NE(h(Id{0, 1}), h(Id{1, 0}));
    EXPECT_NE(h(Id{0, 1}), h(Id{0, 2}));
}

}  // namespace
