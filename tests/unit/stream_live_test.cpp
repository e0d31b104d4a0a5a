// lib/stream/ts_cutter and live: a synthetic MPEG-TS stream (PAT, PMT, H.264
// video with keyframes where the test puts them, ADTS audio) cut into
// segments, and a live channel's sliding window of them.
#include "stream/live.hpp"
#include "stream/ts_cutter.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using sr::stream::kTsPacket;
using sr::stream::LiveChannel;
using sr::stream::LiveConfig;
using sr::stream::TsCutter;
using sr::stream::TsSegment;

constexpr std::uint16_t kPmtPid = 0x1000, kVideoPid = 0x100, kAudioPid = 0x101;

// One 188-byte packet; the payload is padded with an adaptation field.
std::string packet(std::uint16_t pid, bool unit_start, const std::string& payload, bool random_access = false) {
    static std::uint8_t cc = 0;
    std::string p(4, '\0');
    p[0] = 0x47;
    p[1] = static_cast<char>((unit_start ? 0x40 : 0) | (pid >> 8));
    p[2] = static_cast<char>(pid & 0xff);
    std::size_t room = kTsPacket - 4;
    bool af = random_access || payload.size() < room;
    p[3] = static_cast<char>((af ? 0x30 : 0x10) | (cc++ & 0x0f));
    if (af) {
        std::size_t af_len = room - 1 - payload.size();  // the length byte itself is not counted
        p += static_cast<char>(af_len);
        if (af_len > 0) {
            p += static_cast<char>(random_access ? 0x40 : 0x00);
            p.append(af_len - 1, '\xff');
        }
    }
    p += payload;
    EXPECT_EQ(p.size(), kTsPacket);
    return p;
}

std::string section(std::uint8_t table_id, const std::string& body) {
    std::size_t len = 5 + body.size() + 4;  // after the length field: 5 header bytes, body, CRC
    std::string s;
    s += '\0';  // pointer field
    s += static_cast<char>(table_id);
    s += static_cast<char>(0xb0 | (len >> 8));
    s += static_cast<char>(len & 0xff);
    s += std::string("\x00\x01\xc1\x00\x00", 5);
    s += body;
    s += std::string(4, '\0');  // CRC: not checked
    return s;
}

std::string pat() {
    std::string body = std::string("\x00\x01", 2);
    body += static_cast<char>(0xe0 | (kPmtPid >> 8));
    body += static_cast<char>(kPmtPid & 0xff);
    return packet(0, true, section(0x00, body));
}

std::string pmt(bool audio = true) {
    std::string body;
    body += static_cast<char>(0xe0 | (kVideoPid >> 8));  // PCR PID
    body += static_cast<char>(kVideoPid & 0xff);
    body += std::string("\xf0\x00", 2);  // no program info
    auto es = [&](std::uint8_t type, std::uint16_t pid) {
        body += static_cast<char>(type);
        body += static_cast<char>(0xe0 | (pid >> 8));
        body += static_cast<char>(pid & 0xff);
        body += std::string("\xf0\x00", 2);
    };
    es(0x1b, kVideoPid);
    if (audio) es(0x0f, kAudioPid);
    return packet(kPmtPid, true, section(0x02, body));
}

std::string pes_header(std::uint8_t stream_id, std::uint64_t pts) {
    std::string h("\x00\x00\x01", 3);
    h += static_cast<char>(stream_id);
    h += std::string("\x00\x00\x80\x80\x05", 5);
    h += static_cast<char>(0x21 | ((pts >> 29) & 0x0e));
    h += static_cast<char>((pts >> 22) & 0xff);
    h += static_cast<char>(0x01 | ((pts >> 14) & 0xfe));
    h += static_cast<char>((pts >> 7) & 0xff);
    h += static_cast<char>(0x01 | ((pts << 1) & 0xfe));
    return h;
}

// A PES header with both time stamps, as encoders write frames with B-frames.
std::string pes_header_dts(std::uint64_t pts, std::uint64_t dts) {
    auto stamp = [](std::uint8_t prefix, std::uint64_t t) {
        std::string b;
        b += static_cast<char>(prefix | ((t >> 29) & 0x0e));
        b += static_cast<char>((t >> 22) & 0xff);
        b += static_cast<char>(0x01 | ((t >> 14) & 0xfe));
        b += static_cast<char>((t >> 7) & 0xff);
        b += static_cast<char>(0x01 | ((t << 1) & 0xfe));
        return b;
    };
    return std::string("\x00\x00\x01\xe0\x00\x00\x80\xc0\x0a", 9) + stamp(0x31, pts) + stamp(0x11, dts);
}

// One video frame: a PES start packet and `more` packets of filler.
std::string video_frame(std::uint64_t pts, bool key, int more = 2, bool flag_key = true) {
    std::string es = key ? std::string("\x00\x00\x01\x67\x64\x00\x1f\x00\x00\x01\x65", 11)
                         : std::string("\x00\x00\x01\x41", 4);
    std::string out = packet(kVideoPid, true, pes_header(0xe0, pts) + es, key && flag_key);
    for (int i = 0; i < more; ++i) out += packet(kVideoPid, false, std::string(kTsPacket - 4, 'v'));
    return out;
}

std::string audio_frame(std::uint64_t pts) {
    return packet(kAudioPid, true, pes_header(0xc0, pts) + std::string("\xff\xf1\x50\x80", 4));
}

// `seconds` of 25 fps video with a keyframe every `gop` frames, audio
// beside it, PAT and PMT before each keyframe (as ffmpeg writes them), and
// three frames of video before the first keyframe.
std::string stream(double seconds, int gop, std::uint64_t pts0 = 900000, bool headers_at_keyframes = true) {
    std::string s = pat() + pmt();
    for (int i = 0; i < 3; ++i) s += video_frame(pts0 - (3 - i) * 3600, false);
    int frames = static_cast<int>(seconds * 25);
    for (int f = 0; f < frames; ++f) {
        bool key = f % gop == 0;
        if (key && headers_at_keyframes) s += pat() + pmt();
        s += video_frame(pts0 + f * 3600, key);
        s += audio_frame(pts0 + f * 3600);
    }
    return s;
}

std::uint16_t pid_at(const std::string& bytes, std::size_t packet_index) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data()) + packet_index * kTsPacket;
    return static_cast<std::uint16_t>(((p[1] & 0x1f) << 8) | p[2]);
}

std::vector<TsSegment> cut(TsCutter& c, const std::string& bytes, std::size_t piece = 65536) {
    std::vector<TsSegment> all;
    for (std::size_t at = 0; at < bytes.size(); at += piece)
        for (auto& s : c.feed(std::string_view(bytes).substr(at, piece), 1'000'000 + static_cast<std::int64_t>(at)))
            all.push_back(std::move(s));
    return all;
}

TEST(StreamLive, CutsAtKeyframesOnceTheTargetIsReached) {
    TsCutter c(4.0, 16 << 20);
    auto segs = cut(c, stream(13, 50));  // keyframes every 2 s
    ASSERT_EQ(segs.size(), 3u);          // 0-4, 4-8, 8-12; 12-13 is under way
    for (const auto& s : segs) {
        EXPECT_DOUBLE_EQ(s.duration, 4.0);
        EXPECT_TRUE(s.keyframe);
        EXPECT_FALSE(s.discontinuity);
        ASSERT_EQ(s.bytes.size() % kTsPacket, 0u);
        EXPECT_EQ(pid_at(s.bytes, 0), 0u) << "a segment starts with the PAT";
        EXPECT_EQ(pid_at(s.bytes, 1), kPmtPid) << "then the PMT";
        EXPECT_EQ(pid_at(s.bytes, 2), kVideoPid) << "then the keyframe";
    }
    EXPECT_EQ(segs[0].first_pts, 900000u);
    EXPECT_EQ(segs[1].first_pts, 900000u + 4 * 90000);
    EXPECT_EQ(c.counters().dropped_before_keyframe, 9u);  // the three frames before the first keyframe
    EXPECT_EQ(c.codecs(), "avc1.64001f,mp4a.40.2");
    auto last = c.flush();
    ASSERT_TRUE(last.has_value());
    EXPECT_NEAR(last->duration, 1.0, 1e-9);  // 12 s to the last frame at 12.96 s, plus one frame
}

TEST(StreamLive, TheSameSegmentsWhateverPiecesTheBytesComeIn) {
    std::string bytes = stream(9, 25);
    TsCutter whole(2.0, 16 << 20), bits(2.0, 16 << 20);
    auto a = cut(whole, bytes);
    auto b = cut(bits, bytes, 1000);  // not a multiple of 188
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].bytes, b[i].bytes) << "segment " << i;
}

TEST(StreamLive, GarbageBetweenPacketsIsSkipped) {
    std::string clean = stream(9, 25);
    std::string dirty;
    for (std::size_t at = 0; at < clean.size(); at += kTsPacket) {
        dirty += clean.substr(at, kTsPacket);
        if (at / kTsPacket % 97 == 5) dirty += "\x47garbage";
    }
    TsCutter a(2.0, 16 << 20), b(2.0, 16 << 20);
    auto want = cut(a, clean);
    auto got = cut(b, dirty);
    EXPECT_GT(b.counters().resyncs, 0u);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].bytes, want[i].bytes);
}

TEST(StreamLive, HeadersAreCopiedWhereTheEncoderDidNotRepeatThem) {
    TsCutter c(4.0, 16 << 20);
    auto segs = cut(c, stream(13, 50, 900000, false));
    ASSERT_EQ(segs.size(), 3u);
    EXPECT_EQ(pid_at(segs[1].bytes, 0), 0u);
    EXPECT_EQ(pid_at(segs[1].bytes, 1), kPmtPid);
    EXPECT_EQ(pid_at(segs[1].bytes, 2), kVideoPid);
}

TEST(StreamLive, BFramesCutByDecodeTimeWithoutDiscontinuities) {
    // Presentation order I P B B: PTS goes back at every B-frame, DTS does not.
    std::string s = pat() + pmt(false);
    const std::uint64_t pts_of[4] = {2, 5, 3, 4};  // in frames, for decode positions 0..3 of each group of four
    for (int f = 0; f < 300; ++f) {
        bool key = f % 50 == 0;
        std::uint64_t dts = 900000 + static_cast<std::uint64_t>(f) * 3600;
        std::uint64_t pts = 900000 + static_cast<std::uint64_t>(f - f % 4 + static_cast<int>(pts_of[f % 4])) * 3600;
        std::string es = key ? std::string("\x00\x00\x01\x65", 4) : std::string("\x00\x00\x01\x41", 4);
        s += packet(kVideoPid, true, pes_header_dts(pts, dts) + es, key);
    }
    TsCutter c(4.0, 16 << 20);
    auto segs = cut(c, s);
    ASSERT_EQ(segs.size(), 2u);
    for (const auto& seg : segs) {
        EXPECT_DOUBLE_EQ(seg.duration, 4.0);
        EXPECT_FALSE(seg.discontinuity);
    }
    EXPECT_EQ(c.counters().discontinuities, 0u);
}

TEST(StreamLive, AKeyframeIsFoundByItsNalUnitsWithoutTheFlag) {
    std::string s = pat() + pmt(false);
    for (int f = 0; f < 250; ++f) s += video_frame(f * 3600, f % 50 == 0, 1, false);
    TsCutter c(4.0, 16 << 20);
    auto segs = cut(c, s);
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_DOUBLE_EQ(segs[0].duration, 4.0);
    EXPECT_EQ(c.codecs(), "avc1.64001f");
}

TEST(StreamLive, ATimestampJumpStartsADiscontinuity) {
    std::string s = stream(9, 25, 900000) + stream(9, 25, 90000);  // the encoder restarted
    TsCutter c(2.0, 16 << 20);
    auto segs = cut(c, s);
    ASSERT_GE(segs.size(), 6u);
    std::size_t marked = 0;
    for (const auto& seg : segs) {
        marked += seg.discontinuity;
        EXPECT_LE(seg.duration, 2.5) << "no segment spans the jump";
    }
    EXPECT_EQ(marked, 1u);
    EXPECT_EQ(c.counters().discontinuities, 1u);
}

TEST(StreamLive, AfterAFlushTheNextSegmentIsADiscontinuity) {
    TsCutter c(2.0, 16 << 20);
    cut(c, stream(5, 25));
    ASSERT_TRUE(c.flush().has_value());
    auto segs = cut(c, stream(5, 25, 5000000));
    ASSERT_FALSE(segs.empty());
    EXPECT_TRUE(segs[0].discontinuity);
    if (segs.size() > 1) EXPECT_FALSE(segs[1].discontinuity);
}

TEST(StreamLive, WithoutKeyframesSegmentsAreCutAllTheSameAndMemoryStaysBounded) {
    std::string s = pat() + pmt(false) + video_frame(0, true);
    for (int f = 1; f < 1000; ++f) s += video_frame(f * 3600, false);  // 40 s, one keyframe
    TsCutter c(2.0, 16 << 20);
    auto segs = cut(c, s);
    ASSERT_GE(segs.size(), 5u);
    EXPECT_TRUE(segs[0].keyframe);
    EXPECT_FALSE(segs[1].keyframe);
    EXPECT_NEAR(segs[1].duration, 6.0, 0.05);
    EXPECT_GE(c.counters().cuts_without_keyframe, 5u);

    TsCutter small(2.0, 64 * kTsPacket);  // a size bound well under 6 s of this stream
    auto bounded = cut(small, s);
    for (const auto& seg : bounded) EXPECT_LE(seg.bytes.size(), 2 * 64 * kTsPacket + 4 * kTsPacket);
}

TEST(StreamLive, NothingBeforeAProgramIsKnown) {
    TsCutter c(2.0, 16 << 20);
    std::string s;
    for (int f = 0; f < 200; ++f) s += video_frame(f * 3600, f % 25 == 0);
    EXPECT_TRUE(cut(c, s).empty());
    EXPECT_EQ(c.codecs(), "");
    EXPECT_FALSE(c.flush().has_value());
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

constexpr std::int64_t kSec = 1'000'000;

TEST(StreamLive, TheWindowSlidesAndKeepsAsManyAgainFetchable) {
    LiveConfig cfg;
    cfg.window = 3;
    LiveChannel ch("news", cfg);
    EXPECT_FALSE(ch.media_playlist().has_value()) << "nothing before the first segment";
    ch.input(stream(41, 50), 0, 1'700'000'000 * kSec);  // keyframes every 2 s: 10 segments of 4 s
    EXPECT_EQ(ch.segments_made(), 10u);
    auto pl = ch.media_playlist();
    ASSERT_TRUE(pl.has_value());
    EXPECT_NE(pl->find("#EXT-X-TARGETDURATION:4\n"), std::string::npos) << *pl;
    EXPECT_NE(pl->find("#EXT-X-MEDIA-SEQUENCE:7\n"), std::string::npos) << *pl;
    EXPECT_NE(pl->find("#EXT-X-DISCONTINUITY-SEQUENCE:0\n"), std::string::npos);
    EXPECT_EQ(count(*pl, "#EXTINF:4.000,\n"), 3u);
    EXPECT_NE(pl->find("\n9.ts\n"), std::string::npos);
    EXPECT_EQ(count(*pl, "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20"), 3u) << *pl;
    EXPECT_EQ(pl->find("#EXT-X-ENDLIST"), std::string::npos);
    EXPECT_NE(ch.segment(4), nullptr) << "out of the playlist, still fetchable";
    EXPECT_EQ(ch.segment(3), nullptr);
    EXPECT_EQ(ch.segment(10), nullptr);
    EXPECT_EQ(ch.held(), 6u);
    auto mv = ch.multivariant_playlist();
    ASSERT_TRUE(mv.has_value());
    EXPECT_NE(mv->find("CODECS=\"avc1.64001f,mp4a.40.2\""), std::string::npos) << *mv;
    EXPECT_NE(mv->find("BANDWIDTH="), std::string::npos);
    EXPECT_NE(mv->find("\nts.m3u8\n"), std::string::npos);
    EXPECT_GT(ch.bitrate_peak(), 0);
}

TEST(StreamLive, AStallEndsTheWindowCleanlyAndTheResumeIsADiscontinuity) {
    LiveConfig cfg;
    cfg.window = 4;
    cfg.segment_seconds = 2;
    LiveChannel ch("news", cfg);
    ch.input(stream(7, 25), 0, 0);  // 2 s segments: 3 done, the fourth under way
    EXPECT_EQ(ch.segments_made(), 3u);
    EXPECT_EQ(ch.state(), LiveChannel::State::live);
    ch.tick(4 * kSec);  // not yet: the stall bound is 5 s
    EXPECT_EQ(ch.state(), LiveChannel::State::live);
    EXPECT_LE(ch.next_deadline(), 5 * kSec);
    ch.tick(5 * kSec);
    EXPECT_EQ(ch.state(), LiveChannel::State::stalled);
    EXPECT_EQ(ch.segments_made(), 4u) << "the segment under way ends the window";
    EXPECT_NEAR(ch.segment(3)->duration, 1.0, 1e-9);
    ch.input(stream(9, 25, 90000), 60 * kSec, 60 * kSec);  // the encoder again, its clock from the start
    EXPECT_EQ(ch.state(), LiveChannel::State::live);
    auto pl = ch.media_playlist();
    ASSERT_TRUE(pl.has_value());
    EXPECT_EQ(count(*pl, "#EXT-X-DISCONTINUITY\n"), 1u) << *pl;
    EXPECT_TRUE(ch.segment(4)->discontinuity);
    // Once it has left the window, the sequence counts it. (The stream goes
    // on: its first frames continue the last one.)
    ch.input(stream(13, 25, 90000 + 9 * 90000 + 3 * 3600), 61 * kSec, 61 * kSec);
    pl = ch.media_playlist();
    EXPECT_EQ(ch.segment(4), nullptr);
    EXPECT_EQ(count(*pl, "#EXT-X-DISCONTINUITY\n"), 0u) << *pl;
    EXPECT_NE(pl->find("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), std::string::npos) << *pl;
    EXPECT_EQ(ch.ts_counters().discontinuities, 0u);
}

}  // namespace

TEST(StreamLive, NumbersStartAtFirstSeqAndAnEndedInputEndsTheWindowAtOnce) {
    LiveConfig cfg;
    cfg.segment_seconds = 2;
    cfg.first_seq = 1'796'000'000;
    LiveChannel ch("news", cfg);
    ch.input(stream(7, 25), 0, 0);
    EXPECT_EQ(ch.segments_made(), 3u);
    EXPECT_NE(ch.segment(1'796'000'002), nullptr);
    EXPECT_EQ(ch.segment(2), nullptr);
    auto pl = ch.media_playlist();
    ASSERT_TRUE(pl.has_value());
    EXPECT_NE(pl->find("#EXT-X-MEDIA-SEQUENCE:1796000000\n"), std::string::npos) << *pl;
    ch.input_ended();  // no stall time waited for
    EXPECT_EQ(ch.state(), LiveChannel::State::stalled);
    EXPECT_EQ(ch.segments_made(), 4u);
    EXPECT_GT(ch.updated_wall_us(), 0);
}
