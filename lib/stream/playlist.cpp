#include "stream/playlist.hpp"

#include <cmath>
#include <cstdio>

namespace sr::stream {

namespace {

std::string fixed3(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    return b;
}

std::string codecs_of(const MediaIndex& idx) {
    std::string out;
    for (const auto& t : idx.tracks) out += (out.empty() ? "" : ",") + t.codecs;
    return out;
}

}  // namespace

std::string hls_multivariant_ts(const std::vector<Rendition>& renditions) {
    std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    for (const auto& r : renditions) {
        const MediaIndex& idx = *r.index;
        out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(std::llround(idx.bitrate_peak * kTsOverhead)) +
               ",AVERAGE-BANDWIDTH=" + std::to_string(std::llround(idx.bitrate_average * kTsOverhead));
        if (const Track* v = idx.video()) out += ",RESOLUTION=" + std::to_string(v->width) + "x" + std::to_string(v->height);
        out += ",CODECS=\"" + codecs_of(idx) + "\"\n" + r.name + "/ts.m3u8\n";
    }
    return out;
}

std::string hls_media_ts(const MediaIndex& idx) {
    double longest = 0;
    for (const auto& s : idx.segments) longest = std::max(longest, s.duration);
    // EXT-X-TARGETDURATION: every EXTINF rounded to the nearest integer must not exceed it.
    std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:" +
                      std::to_string(static_cast<long>(std::lround(longest))) +
                      "\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    for (std::size_t i = 0; i < idx.segments.size(); ++i)
        out += "#EXTINF:" + fixed3(idx.segments[i].duration) + ",\n" + std::to_string(i) + ".ts\n";
    out += "#EXT-X-ENDLIST\n";
    return out;
}

}  // namespace sr::stream
