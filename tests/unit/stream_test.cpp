// sr-streamd's pure parts: request routes and ranges, segment cutting,
// playlists and manifests; and fMP4 packaging of a synthetic index, its
// boxes parsed back. (Indexing and muxing real files, real players:
// tests/bats/streamd.bats.)
#include "core/error.hpp"
#include "stream/fmp4.hpp"
#include "stream/media.hpp"
#include "stream/playlist.hpp"
#include "stream/routes.hpp"
#include "stream/segment.hpp"
#include "stream/udp_input.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/mem.h>
}

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <fcntl.h>
#include <unistd.h>

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

TEST(StreamRoutes, TheFmp4Paths) {
    auto r = parse_route("/vod/movie/cmaf.m3u8");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::cmaf_multivariant);
    EXPECT_EQ(r->title, "movie");
    r = parse_route("/vod/movie/manifest.mpd");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::dash_manifest);
    r = parse_route("/vod/movie/720p/video/cmaf.m3u8");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::cmaf_media);
    EXPECT_EQ(r->rendition, "720p");
    EXPECT_EQ(r->track, Route::Track::video);
    r = parse_route("/vod/movie/720p/audio/init.mp4");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::cmaf_init);
    EXPECT_EQ(r->track, Route::Track::audio);
    r = parse_route("/vod/movie/720p/video/7.m4s");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::cmaf_segment);
    EXPECT_EQ(r->track, Route::Track::video);
    EXPECT_EQ(r->segment, 7u);
    r = parse_route("/vod/movie/720p/audio/0.m4s");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->segment, 0u);
    EXPECT_EQ(parse_route("/vod/movie/hls.m3u8")->track, Route::Track::none);
}

TEST(StreamRoutes, Fmp4PathsStrictly) {
    for (const char* p : {"/vod/a/b/text/0.m4s", "/vod/a/b/Video/0.m4s", "/vod/a/b/video/01.m4s",
                          "/vod/a/b/video/-1.m4s", "/vod/a/b/video/.m4s", "/vod/a/b/video/1.m4s/",
                          "/vod/a/b/video/1.ts", "/vod/a/b/video/ts.m3u8", "/vod/a/b/video/init.mp4x",
                          "/vod/a/b/video/99999999999999999999.m4s", "/vod/a/b/video/x/0.m4s", "/vod/a/b/video",
                          "/vod/a/b/video/", "/vod/a//video/0.m4s", "/vod/a/../video/0.m4s", "/vod/a/.b/video/0.m4s",
                          "/vod/a/b/audio/cmaf.m3u8x", "/vod/a/manifest.mpd/", "/vod/a/b/manifest.mpd",
                          "/vod/a/b/cmaf.m3u8", "/vod/manifest.mpd", "/vod/a/cmaf.m3u"})
        EXPECT_FALSE(parse_route(p)) << p;
}

TEST(StreamRoutes, NothingOutsideTheMediaDirectoryOrMalformed) {
    for (const char* p : {"/", "/vodka", "/etc/passwd", "/vod/../x.mp4", "/vod/.hidden.mp4", "/vod/a/../../b/hls.m3u8",
                          "/vod//hls.m3u8", "/vod/a/b/c/d.ts", "/vod/a/b/01.ts", "/vod/a/b/-1.ts", "/vod/a/b/x.ts",
                          "/vod/a/b/99999999999999999999.ts", "/vod/a/hls.m3u8/", "/vod/a\\b.mp4", "/vod/.mp4",
                          "/vod/a/.b/ts.m3u8"})
        EXPECT_FALSE(parse_route(p)) << p;
}

TEST(StreamRoutes, TheLivePaths) {
    auto r = parse_route("/live/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::live_index);
    r = parse_route("/live/news/hls.m3u8");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::live_multivariant);
    EXPECT_EQ(r->title, "news");
    r = parse_route("/live/news/ts.m3u8");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::live_media_ts);
    r = parse_route("/live/news/1796589243.ts");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::live_segment);
    EXPECT_EQ(r->segment, 1796589243u);
    r = parse_route("/live/news/cmaf.m3u8");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::live_cmaf_multivariant);
    r = parse_route("/live/news/manifest.mpd");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::live_dash_manifest);
    r = parse_route("/live/news/audio/cmaf.m3u8");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::live_cmaf_media);
    EXPECT_EQ(r->track, Route::Track::audio);
    r = parse_route("/live/news/video/init-3.mp4");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::live_cmaf_init);
    EXPECT_EQ(r->track, Route::Track::video);
    EXPECT_EQ(r->segment, 3u);
    r = parse_route("/live/news/video/1796589243.m4s");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Route::Kind::live_cmaf_segment);
    EXPECT_EQ(r->segment, 1796589243u);
    for (const char* p : {"/live/news", "/live/news/", "/live/.news/ts.m3u8", "/live/../ts.m3u8", "/live//ts.m3u8",
                          "/live/news/01.ts", "/live/news/x.ts", "/live/news/a/ts.m3u8", "/live/news/cmaf.m3u8x",
                          "/live/news/99999999999999999999.ts", "/livex/news/ts.m3u8", "/live/news/text/cmaf.m3u8",
                          "/live/news/video/init.mp4", "/live/news/video/init-.mp4", "/live/news/video/init-01.mp4",
                          "/live/news/video/01.m4s", "/live/news/video/1.ts", "/live/news/video/x/1.m4s",
                          "/live/news/video/manifest.mpd", "/live/news/video/init-1.mp4/"})
        EXPECT_FALSE(parse_route(p)) << p;
}

TEST(StreamUdpUrl, TheFormsOfALiveInput) {
    auto u = parse_udp_url("udp://239.1.1.1:5000");
    EXPECT_EQ(u.host, "239.1.1.1");
    EXPECT_EQ(u.port, 5000);
    u = parse_udp_url("udp://@239.1.1.1:5000?source=192.0.2.1&iface=10.0.0.1");
    EXPECT_EQ(u.host, "239.1.1.1");
    EXPECT_EQ(u.source, "192.0.2.1");
    EXPECT_EQ(u.iface, "10.0.0.1");
    u = parse_udp_url("udp://[ff15::1]:5000");
    EXPECT_EQ(u.host, "ff15::1");
    for (const char* bad : {"udp://239.1.1.1", "udp://239.1.1.1:0", "udp://239.1.1.1:70000", "http://239.1.1.1:5000",
                            "udp://name.example:5000", "udp://239.1.1.1:5000?ttl=1", "udp://239.1.1.1:5000?source=",
                            "udp://ff15::1:5000", "udp://"})
        EXPECT_THROW(parse_udp_url(bad), sr::Error) << bad;
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

namespace {

// A title with fMP4-ready tracks: H.264 (an avcC record, time base 1/12288,
// 24 fps, a keyframe every 2 s) and AAC-LC (48 kHz stereo), `seconds` long,
// whose samples are in the file `path` (each sample's bytes are its index,
// repeated, so that a misplaced read shows).
MediaIndex fmp4_title(const std::string& path, double seconds) {
    MediaIndex idx;
    idx.path = path;
    std::string file;
    auto add = [&](Track& t, std::int64_t dts, std::int64_t pts, std::int64_t duration, std::uint32_t size, bool key) {
        Sample s{dts, pts, duration, static_cast<std::int64_t>(file.size()), size, key};
        std::string bytes(size, static_cast<char>(0x20 + t.samples.size() % 64));
        if (t.kind == Track::Kind::video) {  // one NAL unit, length-prefixed as in MP4
            bytes[0] = bytes[1] = 0;
            bytes[2] = static_cast<char>((size - 4) >> 8);
            bytes[3] = static_cast<char>((size - 4) & 0xff);
            bytes[4] = key ? 0x65 : 0x41;
        }
        file += bytes;
        t.samples.push_back(s);
    };
    Track v;
    v.kind = Track::Kind::video;
    v.time_base_den = 12288;
    v.codec = "h264";
    v.codecs = "avc1.64001e";
    v.width = 320;
    v.height = 180;
    v.params = std::make_shared<CodecParameters>();
    v.params->p->codec_type = AVMEDIA_TYPE_VIDEO;
    v.params->p->codec_id = AV_CODEC_ID_H264;
    v.params->p->width = 320;
    v.params->p->height = 180;
    const std::uint8_t avcc[] = {1, 0x64, 0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1e, 1, 0, 2, 0x68, 0xee};
    v.params->p->extradata = static_cast<std::uint8_t*>(av_mallocz(sizeof avcc + AV_INPUT_BUFFER_PADDING_SIZE));
    std::memcpy(v.params->p->extradata, avcc, sizeof avcc);
    v.params->p->extradata_size = sizeof avcc;
    // Decode order with B-frames: presentation two frames after decode, from -2 frames.
    for (int i = 0; i < static_cast<int>(seconds * 24); ++i)
        add(v, (i - 2) * 512, i * 512, 512, 300 + i % 7, i % 48 == 0);
    Track a;
    a.kind = Track::Kind::audio;
    a.time_base_den = 48000;
    a.codec = "aac";
    a.codecs = "mp4a.40.2";
    a.sample_rate = 48000;
    a.channels = 2;
    a.params = std::make_shared<CodecParameters>();
    a.params->p->codec_type = AVMEDIA_TYPE_AUDIO;
    a.params->p->codec_id = AV_CODEC_ID_AAC;
    a.params->p->sample_rate = 48000;
    av_channel_layout_default(&a.params->p->ch_layout, 2);
    a.params->p->frame_size = 1024;
    const std::uint8_t asc[] = {0x11, 0x90};
    a.params->p->extradata = static_cast<std::uint8_t*>(av_mallocz(sizeof asc + AV_INPUT_BUFFER_PADDING_SIZE));
    std::memcpy(a.params->p->extradata, asc, sizeof asc);
    a.params->p->extradata_size = sizeof asc;
    for (int i = 0; i * 1024 < static_cast<int>(seconds * 48000); ++i)
        add(a, (i - 1) * 1024, (i - 1) * 1024, 1024, 90 + i % 5, true);  // AAC priming: from -1024
    idx.tracks = {v, a};
    idx.segments = cut_segments(idx.tracks, 4);
    FILE* f = std::fopen(path.c_str(), "wb");
    EXPECT_TRUE(f);
    std::fwrite(file.data(), 1, file.size(), f);
    std::fclose(f);
    return idx;
}

std::uint32_t be32(const std::string& b, std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(b.at(at))) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(b.at(at + 1))) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(b.at(at + 2))) << 8) |
           static_cast<unsigned char>(b.at(at + 3));
}
std::uint64_t be64(const std::string& b, std::size_t at) {
    return (static_cast<std::uint64_t>(be32(b, at)) << 32) | be32(b, at + 4);
}

struct Box {
    std::string type;
    std::string body;  // without the 8-byte header
};

// The boxes in `b`, in order; a size that overruns fails the test.
std::vector<Box> boxes(const std::string& b) {
    std::vector<Box> out;
    for (std::size_t at = 0; at < b.size();) {
        EXPECT_LE(at + 8, b.size());
        if (at + 8 > b.size()) break;
        std::uint32_t size = be32(b, at);
        EXPECT_GE(size, 8u);
        EXPECT_LE(at + size, b.size()) << b.substr(at + 4, 4);
        if (size < 8 || at + size > b.size()) break;
        out.push_back({b.substr(at + 4, 4), b.substr(at + 8, size - 8)});
        at += size;
    }
    return out;
}

const Box* find(const std::vector<Box>& bs, const std::string& type) {
    for (const auto& b : bs)
        if (b.type == type) return &b;
    return nullptr;
}

std::string types(const std::vector<Box>& bs) {
    std::string out;
    for (const auto& b : bs) out += (out.empty() ? "" : " ") + b.type;
    return out;
}

// What a media segment's moof says: tfdt, its samples' durations and sizes
// (tfhd defaults or trun entries), whether the first is a sync sample, and
// the mdat's size.
struct Fragment {
    std::uint64_t tfdt = 0;
    std::vector<std::uint32_t> durations, sizes;
    bool first_sync = false;
    std::size_t mdat = 0;
};

Fragment fragment(const std::string& seg) {
    Fragment f;
    auto top = boxes(seg);
    EXPECT_EQ(types(top), "moof mdat");
    if (top.size() != 2) return f;
    f.mdat = top[1].body.size();
    auto traf_boxes = boxes(find(boxes(top[0].body), "traf") ? find(boxes(top[0].body), "traf")->body : "");
    const Box* tfhd = find(traf_boxes, "tfhd");
    const Box* tfdt = find(traf_boxes, "tfdt");
    const Box* trun = find(traf_boxes, "trun");
    EXPECT_TRUE(tfhd && tfdt && trun) << types(traf_boxes);
    if (!tfhd || !tfdt || !trun) return f;
    f.tfdt = tfdt->body[0] == 1 ? be64(tfdt->body, 4) : be32(tfdt->body, 4);
    std::uint32_t hf = be32(tfhd->body, 0) & 0xffffff, def_duration = 0, def_size = 0, def_flags = 0;
    std::size_t at = 8;
    if (hf & 0x01) at += 8;
    if (hf & 0x02) at += 4;
    if (hf & 0x08) def_duration = be32(tfhd->body, at), at += 4;
    if (hf & 0x10) def_size = be32(tfhd->body, at), at += 4;
    if (hf & 0x20) def_flags = be32(tfhd->body, at), at += 4;
    std::uint32_t rf = be32(trun->body, 0) & 0xffffff, count = be32(trun->body, 4);
    at = 8;
    if (rf & 0x01) at += 4;
    std::uint32_t first_flags = def_flags;
    bool has_first = rf & 0x04;
    if (has_first) first_flags = be32(trun->body, at), at += 4;
    for (std::uint32_t i = 0; i < count; ++i) {
        std::uint32_t flags = def_flags;
        f.durations.push_back(rf & 0x100 ? be32(trun->body, at) : def_duration);
        if (rf & 0x100) at += 4;
        f.sizes.push_back(rf & 0x200 ? be32(trun->body, at) : def_size);
        if (rf & 0x200) at += 4;
        if (rf & 0x400) flags = be32(trun->body, at), at += 4;
        if (rf & 0x800) at += 4;
        if (i == 0) f.first_sync = !((has_first ? first_flags : flags) & 0x10000);  // sample_is_non_sync_sample
    }
    return f;
}

struct TempFile {
    std::string path;
    TempFile() {
        char p[] = "/tmp/sr-stream-test.XXXXXX";
        int fd = mkstemp(p);
        if (fd >= 0) ::close(fd);
        path = p;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST(StreamFmp4, InitSegmentIsFtypAndMoovWithEmptySampleTables) {
    TempFile file;
    MediaIndex idx = fmp4_title(file.path, 10);
    for (std::size_t t = 0; t < idx.tracks.size(); ++t) {
        auto top = boxes(fmp4_init(idx, t));
        EXPECT_EQ(types(top), "ftyp moov") << "track " << t;
        ASSERT_EQ(top.size(), 2u);
        auto moov = boxes(top[1].body);
        EXPECT_TRUE(find(moov, "mvex")) << types(moov);
        ASSERT_TRUE(find(moov, "trak"));
        auto mdia = boxes(find(boxes(find(moov, "trak")->body), "mdia")->body);
        const Box* mdhd = find(mdia, "mdhd");
        ASSERT_TRUE(mdhd);
        std::uint32_t timescale = mdhd->body[0] == 1 ? be32(mdhd->body, 20) : be32(mdhd->body, 12);
        EXPECT_EQ(timescale, fmp4_timescale(idx.tracks[t])) << "track " << t;
        std::string stbl_path = find(mdia, "minf")->body;
        auto stbl = boxes(find(boxes(stbl_path), "stbl")->body);
        EXPECT_EQ(be32(find(stbl, "stsz")->body, 8), 0u) << "no samples in the init segment";
    }
    EXPECT_EQ(fmp4_timescale(idx.tracks[0]), 12288);
    EXPECT_EQ(fmp4_timescale(idx.tracks[1]), 48000);
}

TEST(StreamFmp4, SegmentsContinueEachOtherExactly) {
    TempFile file;
    MediaIndex idx = fmp4_title(file.path, 10);
    int fd = ::open(file.path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(idx.segments.size(), 3u);  // 4 s, 4 s, 2 s
    for (std::size_t t = 0; t < idx.tracks.size(); ++t) {
        const Track& tr = idx.tracks[t];
        ASSERT_EQ(fmp4_segments(idx, t), 3u);
        std::uint64_t expect_tfdt = static_cast<std::uint64_t>(fmp4_time(tr, tr.samples.front().dts));
        // Two video frames (512 ticks each), one AAC frame (1024) before 0: 10 s on.
        EXPECT_EQ(expect_tfdt, static_cast<std::uint64_t>(kTimestampOffset * fmp4_timescale(tr)) - 1024);
        for (std::size_t n = 0; n < 3; ++n) {
            Fragment f = fragment(fmp4_segment(idx, t, n, fd));
            auto [first, last] = idx.segments[n].samples[t];
            ASSERT_EQ(f.durations.size(), last - first) << "track " << t << " segment " << n;
            EXPECT_EQ(f.tfdt, expect_tfdt) << "track " << t << " segment " << n << " starts where the last ended";
            EXPECT_EQ(f.tfdt, static_cast<std::uint64_t>(fmp4_time(tr, tr.samples[first].dts)));
            std::size_t bytes = 0;
            for (std::size_t k = 0; k < f.durations.size(); ++k) {
                expect_tfdt += f.durations[k];
                bytes += f.sizes[k];
                EXPECT_EQ(f.sizes[k], tr.samples[first + k].size);
            }
            EXPECT_EQ(f.mdat, bytes) << "the mdat holds the samples";
            if (t == 0) {
                EXPECT_TRUE(f.first_sync) << "segment " << n << " opens with a keyframe";
            }
        }
        EXPECT_EQ(expect_tfdt, static_cast<std::uint64_t>(
                                   fmp4_time(tr, tr.samples.back().dts + tr.samples.back().duration)));
    }
    EXPECT_THROW(fmp4_segment(idx, 0, 3, fd), sr::Error);
    ::close(fd);
}

TEST(StreamFmp4, ASegmentReadsItsOwnSamplesFromTheFile) {
    TempFile file;
    MediaIndex idx = fmp4_title(file.path, 10);
    int fd = ::open(file.path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    auto top = boxes(fmp4_segment(idx, 1, 2, fd));  // audio, the last segment
    ASSERT_EQ(top.size(), 2u);
    const Track& a = idx.tracks[1];
    std::size_t first = idx.segments[2].samples[1].first;
    EXPECT_EQ(top[1].body[0], static_cast<char>(0x20 + first % 64));
    EXPECT_EQ(top[1].body[a.samples[first].size], static_cast<char>(0x20 + (first + 1) % 64));
    // A file shorter than its index: a clear error, not a crash.
    int wfd = ::open(file.path.c_str(), O_WRONLY);
    ASSERT_EQ(::ftruncate(wfd, 1000), 0);
    ::close(wfd);
    try {
        fmp4_segment(idx, 1, 2, fd);
        ADD_FAILURE() << "no error";
    } catch (const sr::Error& e) {
        EXPECT_EQ(e.code, "bad_media");
    }
    ::close(fd);
}

TEST(StreamPlaylists, Fmp4MediaPlaylistHasItsInitAndSegments) {
    TempFile file;
    MediaIndex idx = fmp4_title(file.path, 10);
    std::string m = hls_media_cmaf(idx, 0);
    EXPECT_EQ(m.rfind("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n", 0), 0u) << m;
    EXPECT_NE(m.find("#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4.000,\n0.m4s\n#EXTINF:4.000,\n1.m4s\n#EXTINF:2.000,\n"
                     "2.m4s\n#EXT-X-ENDLIST\n"),
              std::string::npos)
        << m;
    // Audio: its own frames' times. Segments are cut at the keyframes' decode
    // times (3.917 s, 7.917 s), audio frames of 1024 samples (21.3 ms) go by
    // their start, and the first one starts at -21.3 ms.
    std::string a = hls_media_cmaf(idx, 1);
    EXPECT_NE(a.find("#EXTINF:3.947,\n0.m4s\n#EXTINF:4.011,\n1.m4s\n#EXTINF:2.048,\n2.m4s\n#EXT-X-ENDLIST\n"),
              std::string::npos)
        << a;
}

TEST(StreamPlaylists, CmafMultivariantHasAnAudioGroup) {
    TempFile hi_file, lo_file;
    MediaIndex hi = fmp4_title(hi_file.path, 10), lo = fmp4_title(lo_file.path, 10);
    lo.tracks[0].width = 160;
    lo.tracks[0].height = 90;
    std::string m = hls_multivariant_cmaf({{"hi", &hi}, {"lo x", &lo}});
    EXPECT_EQ(m.rfind("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
                      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,"
                      "CHANNELS=\"2\",URI=\"hi/audio/cmaf.m3u8\"\n#EXT-X-STREAM-INF:BANDWIDTH=",
                      0),
              0u)
        << m;
    EXPECT_NE(m.find(",RESOLUTION=320x180,CODECS=\"avc1.64001e,mp4a.40.2\",AUDIO=\"audio\"\nhi/video/cmaf.m3u8\n"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(",RESOLUTION=160x90,CODECS=\"avc1.64001e,mp4a.40.2\",AUDIO=\"audio\"\nlo%20x/video/cmaf.m3u8\n"),
              std::string::npos)
        << m;
}

TEST(StreamPlaylists, DashManifestIsStaticWithNumberedTimelines) {
    TempFile file;
    MediaIndex idx = fmp4_title(file.path, 10);
    std::string m = dash_manifest({{"a&b", &idx}});
    for (const char* want :
         {"<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" "
          // From the audio's start (-21.3 ms) to the video's end (10 s).
          "type=\"static\" mediaPresentationDuration=\"PT10.021S\"",
          "<AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\"",
          "<Representation id=\"a&amp;b\" codecs=\"avc1.64001e\" bandwidth=\"",
          "width=\"320\" height=\"180\">",
          // The presentation starts with the audio, 1024/48000 s before the video's 0, which
          // is 10 s on the fMP4 timeline (12288 ticks a second): both tracks share that offset.
          "<SegmentTemplate timescale=\"12288\" presentationTimeOffset=\"122617\" startNumber=\"0\" "
          "initialization=\"a%26b/video/init.mp4\" media=\"a%26b/video/$Number$.m4s\">\n"
          "          <SegmentTimeline>\n"
          "            <S t=\"122880\" d=\"49152\" r=\"1\"/>\n"
          "            <S t=\"221184\" d=\"24576\"/>\n"
          "          </SegmentTimeline>",
          "<AdaptationSet id=\"1\" contentType=\"audio\" mimeType=\"audio/mp4\"",
          "<Representation id=\"audio\" codecs=\"mp4a.40.2\"", "audioSamplingRate=\"48000\"",
          "<AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" "
          "value=\"2\"/>",
          "<SegmentTemplate timescale=\"48000\" presentationTimeOffset=\"478976\" startNumber=\"0\" "
          "initialization=\"a%26b/audio/init.mp4\" media=\"a%26b/audio/$Number$.m4s\">",
          "</Period>\n</MPD>\n"})
        EXPECT_NE(m.find(want), std::string::npos) << want << "\nin\n" << m;
}
