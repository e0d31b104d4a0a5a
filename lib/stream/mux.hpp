// Muxing a segment into memory with libavformat, shared by the MPEG-TS
// packager (segment.cpp) and the fMP4 one (fmp4.cpp): an output context
// whose AVIO writes into a string, and the samples read from the file.
#pragma once

#include "stream/media.hpp"

#include <memory>
#include <string>

struct AVFormatContext;
struct AVPacket;

namespace sr::stream::mux {

struct OutputDeleter {
    void operator()(AVFormatContext* oc) const;
};
using Output = std::unique_ptr<AVFormatContext, OutputDeleter>;

struct PacketDeleter {
    void operator()(AVPacket* p) const;
};
using Packet = std::unique_ptr<AVPacket, PacketDeleter>;

// A muxer of `format` ("mpegts", "mp4") writing through a 64 KiB AVIO buffer
// straight into `sink` (which the caller reserves at about the output's size:
// no reallocation, one copy). `sink` must outlive the context.
Output open_output(const MediaIndex& idx, const char* format, std::string& sink);
Output open_output(const std::string& what, const char* format, std::string& sink);  // errors name `what`
Packet new_packet();

// The packet of sample `s`, its bytes read from `fd` at their position;
// times are left to the caller. Throws Error("bad_media") if the file no
// longer holds them (shorter than the index says).
void read_sample(const MediaIndex& idx, const Sample& s, int fd, AVPacket* pkt);

// Throws Error("bad_media") naming the file, what failed and libav's reason.
[[noreturn]] void failed(const MediaIndex& idx, const std::string& what, int err);
[[noreturn]] void failed(const std::string& source, const std::string& what, int err);

}  // namespace sr::stream::mux
