// One segment of a title, packaged on request from its samples (no
// decoding, no transcoding): libavformat's muxers write it into memory.
//
// MPEG-TS (HLS): every track of the title in one transport stream that
// starts with PAT and PMT and, the segment starting at a keyframe, with the
// video's IDR. Timestamps are the file's own plus a constant offset (10 s),
// so consecutive segments continue each other exactly (players join them)
// and none is negative (the muxer would otherwise shift each segment on its
// own and break that continuity).
#pragma once

#include "stream/media.hpp"

#include <cstddef>
#include <string>

namespace sr::stream {

inline constexpr double kTimestampOffset = 10.0;  // seconds added to every timestamp

// Segment `n` of `idx` as MPEG-TS, reading the samples from `fd` (the file
// the index was made from). Throws Error("bad_media") if the file no longer
// holds them (shorter than the index says).
std::string ts_segment(const MediaIndex& idx, std::size_t n, int fd);

}  // namespace sr::stream
