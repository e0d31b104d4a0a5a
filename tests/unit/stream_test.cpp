// sr-streamd's pure parts: request routes and ranges, segment cutting,
// playlists. (Indexing and muxing real files: tests/bats/streamd.bats.)
#include "stream/media.hpp"
#include "stream/playlist.hpp"
#include "stream/routes.hpp"

#include <gtest/gtest.h>

using namespace sr::stream;

TEST(StreamRoutes, ThePathsOfTheInterface) {
    auto r = parse_route("/vod/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::index);
    r = parse_route("/vod/movie.mp4");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::progressive);
    EXPECT_EQ(r->title, "movie");
    r = parse_route("/vod/movie/hls.m3u8");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::hls_multivariant);
    r = parse_route("/vod/movie/720p/ts.m3u8");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::hls_media_ts);
    EXPECT_EQ(r->rendition, "720p");
    r = parse_route("/vod/movie/720p/12.ts");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::ts_segment);
    EXPECT_EQ(r->segment, 12u);
}

TEST(StreamRoutes, NothingOutsideTheMediaDirectoryOrMalformed) {
    for (const char* p : {"/", "/vodka", "/etc/passwd", "/vod/../x.mp4", "/vod/.hidden.mp4", "/vod/a/../../b/hls.m3u8",
                          "/vod//hls.m3u8", "/vod/a/b/c/d.ts", "/vod/a/b/01.ts", "/vod/a/b/-1.ts", "/vod/a/b/x.ts",
                          "/vod/a/b/99999999999999999999.ts", "/vod/a/hls.m3u8/", "/vod/a\\b.mp4", "/vod/.mp4",
                          "/vod/a/.b/ts.m3u8"})
        EXPECT_FALSE(parse_route(p)) << p;
}

TEST(StreamRanges, Rfc9110Forms) {
    auto r = parse_range("bytes=0-99", 1000);
    EXPECT_EQ(r.kind, RangeAnswer::Kind::partial);
    EXPECT_EQ(r.range.first, 0u);
    EXPECT_EQ(r.range.last, 99u);
    r = parse_range("bytes=900-", 1000);
    EXPECT_EQ(r.range.first, 900u);
    EXPECT_EQ(r.range.last, 999u);
    r = parse_range("bytes=-100", 1000);
    EXPECT_EQ(r.range.first, 900u);
    EXPECT_EQ(r.range.last, 999u);
    r = parse_range("bytes=990-5000", 1000);  // clipped to the end
    EXPECT_EQ(r.range.last, 999u);
    EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, RangeAnswer::Kind::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-0", 1000).kind, RangeAnswer::Kind::unsatisfiable);
    for (const char* h : {"", "bytes=5-1", "bytes=0-1,5-9", "items=0-1", "bytes=a-b", "bytes=-", "bytes= 0-1"})
        EXPECT_EQ(parse_range(h, 1000).kind, RangeAnswer::Kind::whole) << h;
}

namespace {

// A video track at 24 fps (time base 1/24, keyframe every `gop` frames) and
// an AAC track at 48 kHz (1024-sample frames), `seconds` long.
std::vector<Track> synthetic(int gop, double seconds) {
    Track v;
    v.kind = Track::Kind::video;
    v.time_base_den = 24;
    for (int i = 0; i < static_cast<int>(seconds * 24); ++i)
        v.samples.push_back({i, i, 1, i * 1000, 1000, i % gop == 0});
    Track a;
    a.kind = Track::Kind::audio;
    a.time_base_den = 48000;
    for (int i = 0; i * 1024 < static_cast<int>(seconds * 48000); ++i)
        a.samples.push_back({i * 1024, i * 1024, 1024, 0, 100, true});
    return {v, a};
}

}  // namespace

TEST(StreamSegments, CutAtKeyframesOnceTheTargetIsReached) {
    auto tracks = synthetic(48, 12);  // a keyframe every 2 s
    auto segs = cut_segments(tracks, 4);
    ASSERT_EQ(segs.size(), 3u);
    for (std::size_t i = 0; i < segs.size(); ++i) {
        EXPECT_DOUBLE_EQ(segs[i].start, 4.0 * i);
        EXPECT_NEAR(segs[i].duration, 4.0, 0.03);  // the last one ends with the audio's last frame
        EXPECT_TRUE(tracks[0].samples[segs[i].samples[0].first].key) << "segment " << i << " starts on a keyframe";
    }
    // Every sample of every track is in exactly one segment, in order.
    for (std::size_t t = 0; t < tracks.size(); ++t) {
        std::size_t expect = 0;
        for (const auto& s : segs) {
            EXPECT_EQ(s.samples[t].first, expect);
            expect = s.samples[t].second;
        }
        EXPECT_EQ(expect, tracks[t].samples.size());
    }
    // Audio goes by time: the second segment's first audio frame starts at or after 4 s.
    EXPECT_GE(tracks[1].seconds(tracks[1].samples[segs[1].samples[1].first].dts), 4.0);
    EXPECT_LT(tracks[1].seconds(tracks[1].samples[segs[1].samples[1].first - 1].dts), 4.0);
}

TEST(StreamSegments, SparseKeyframesMakeLongerSegments) {
    auto segs = cut_segments(synthetic(120, 12), 4);  // a keyframe every 5 s
    ASSERT_EQ(segs.size(), 3u);
    EXPECT_DOUBLE_EQ(segs[0].duration, 5.0);
    EXPECT_NEAR(segs[2].duration, 2.0, 0.03);
}

TEST(StreamPlaylists, MediaPlaylistTargetDurationCoversEverySegment) {
    MediaIndex idx;
    idx.tracks = synthetic(48, 10);
    idx.segments = cut_segments(idx.tracks, 4);
    std::string m = hls_media_ts(idx);
    EXPECT_NE(m.find("#EXT-X-TARGETDURATION:4\n"), std::string::npos) << m;
    EXPECT_NE(m.find("#EXTINF:4.000,\n0.ts\n#EXTINF:4.000,\n1.ts\n#EXTINF:2.0"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(",\n2.ts\n#EXT-X-ENDLIST\n"), std::string::npos) << m;
    EXPECT_EQ(m.rfind("#EXTM3U\n", 0), 0u);
}
