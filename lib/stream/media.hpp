// The sample index of an MP4 file, the base of every format sr-streamd
// serves from it.
//
// index_media() opens a file once with libavformat and reads its packets
// (no decoding): for each audio and video track, every sample's decode and
// presentation time, duration, byte position and size in the file, and
// whether it is a keyframe; plus each track's codec parameters, which the
// muxers need, and its RFC 6381 codec string, which playlists need. It then
// cuts the title into segments: a segment starts at a video keyframe once
// the one before has reached the target duration, and holds every track's
// samples that start before the next segment does. A request for segment N
// then reads only those samples' bytes (pread at their positions).
//
// The index is plain data (times in each track's time base): playlists
// (playlist.hpp) and segments (segment.hpp) are computed from it, and it is
// cached by the file's identity (device, inode, size, mtime) in the catalog.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct AVCodecParameters;

namespace sr::stream {

struct Sample {
    std::int64_t dts = 0;
    std::int64_t pts = 0;
    std::int64_t duration = 0;
    std::int64_t pos = 0;   // byte offset in the file
    std::uint32_t size = 0;
    bool key = false;
};

// Codec parameters as libavformat has them, owned.
struct CodecParameters {
    CodecParameters();
    ~CodecParameters();
    CodecParameters(const CodecParameters&);
    CodecParameters& operator=(const CodecParameters&) = delete;
    AVCodecParameters* p;
};

struct Track {
    enum class Kind { video, audio };
    Kind kind = Kind::video;
    int time_base_num = 1, time_base_den = 1;
    std::string codec;   // libavcodec's name: h264, hevc, aac...
    std::string codecs;  // RFC 6381: avc1.64001f, mp4a.40.2
    int width = 0, height = 0;
    int sample_rate = 0, channels = 0;
    std::shared_ptr<CodecParameters> params;
    std::vector<Sample> samples;  // in decode order

    double seconds(std::int64_t t) const { return static_cast<double>(t) * time_base_num / time_base_den; }
};

struct Segment {
    double start = 0;     // seconds, on the video track's clock
    double duration = 0;
    std::vector<std::pair<std::size_t, std::size_t>> samples;  // per track: [first, last) into its samples
    std::uint64_t bytes = 0;  // the samples' total size
};

struct MediaIndex {
    std::string path;
    double duration = 0;
    std::uint64_t file_size = 0;
    std::vector<Track> tracks;  // the video track first (if any), then audio
    std::vector<Segment> segments;
    std::int64_t bitrate_peak = 0;     // bits/s of the densest segment
    std::int64_t bitrate_average = 0;  // bits/s over the title

    const Track* video() const;
    const Track* audio() const;
};

// Throws Error("bad_media") naming the file and what is wrong with it (no
// video or audio track, no keyframe, an unreadable file, a codec not
// supported in the formats served).
MediaIndex index_media(const std::string& path, double segment_seconds);

// Cuts the title into segments of about `seconds` at video keyframes (each
// track's samples into the segment whose time span they start in). Pure:
// used by index_media() and by the unit tests.
std::vector<Segment> cut_segments(const std::vector<Track>& tracks, double seconds);

}  // namespace sr::stream
