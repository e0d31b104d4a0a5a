// The hot set: bounded by bytes, least recently used out, only small objects without Vary.
#include "cache/hot.hpp"

#include <gtest/gtest.h>

using namespace sr::cache;

namespace {
StoredObject object(const std::string& url, std::size_t size, const std::string& variant = "") {
    StoredObject o;
    o.url = url;
    o.variant = variant;
    o.body_size = size;
    return o;
}
}  // namespace

TEST(CacheHot, KeepsSmallObjectsWithoutVary) {
    HotSet hot(1 << 20, 1000);
    hot.put(object("http://a/1", 10), std::string(10, 'x'));
    hot.put(object("http://a/big", 2000), std::string(2000, 'x'));
    hot.put(object("http://a/vary", 10, "accept:fr"), std::string(10, 'x'));
    hot.put(object("http://a/short", 10), std::string(5, 'x'));  // not the whole body
    ASSERT_TRUE(hot.find("http://a/1"));
    EXPECT_EQ(hot.find("http://a/1")->body, std::string(10, 'x'));
    EXPECT_FALSE(hot.find("http://a/big"));
    EXPECT_FALSE(hot.find("http://a/vary"));
    EXPECT_FALSE(hot.find("http://a/short"));
    hot.forget("http://a/1");
    EXPECT_FALSE(hot.find("http://a/1"));
    EXPECT_EQ(hot.bytes(), 0u);
}

TEST(CacheHot, LeastRecentlyUsedGoesFirst) {
    HotSet hot(3 * 600, 1000);  // room for three objects of ~600 bytes of cost
    for (int i = 0; i < 3; ++i) hot.put(object("http://a/" + std::to_string(i), 300), std::string(300, 'x'));
    ASSERT_EQ(hot.size(), 3u);
    hot.find("http://a/0");  // 1 is now the least recently used
    hot.put(object("http://a/3", 300), std::string(300, 'x'));
    EXPECT_TRUE(hot.find("http://a/0"));
    EXPECT_FALSE(hot.find("http://a/1"));
    EXPECT_TRUE(hot.find("http://a/3"));
    EXPECT_LE(hot.bytes(), 3u * 600);
    hot.set_max_bytes(0);
    EXPECT_EQ(hot.size(), 0u);
}
