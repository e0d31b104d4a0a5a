#include "stream/segment.hpp"

#include "core/error.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

namespace sr::stream {

namespace {

// The muxer writes through a 64 KiB AVIO buffer straight into a string
// reserved at about the segment's size: no reallocation, one copy.
int append_output(void* opaque, std::uint8_t* buf, int size) {
    static_cast<std::string*>(opaque)->append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(size));
    return size;
}

struct OutputDeleter {
    void operator()(AVFormatContext* oc) const {
        if (!oc) return;
        if (oc->pb) {
            av_freep(&oc->pb->buffer);
            avio_context_free(&oc->pb);
        }
        avformat_free_context(oc);
    }
};
using Output = std::unique_ptr<AVFormatContext, OutputDeleter>;
struct PacketDeleter {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};

[[noreturn]] void failed(const MediaIndex& idx, const std::string& what, int err) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(err, buf, sizeof buf);
    throw Error("bad_media", idx.path + ": " + what + ": " + buf);
}

// libavformat's mpegts muxer opens with the SDT, then PAT and PMT; HLS wants
// a segment to open with PAT and PMT (RFC 8216 3.2). The leading tables are
// reordered (each PID keeps its own order, so continuity counters hold).
void pat_first(std::string& ts) {
    constexpr std::size_t kPacket = 188;
    auto pid = [&](std::size_t i) {
        return ((static_cast<unsigned char>(ts[i * kPacket + 1]) & 0x1f) << 8) |
               static_cast<unsigned char>(ts[i * kPacket + 2]);
    };
    std::size_t packets = ts.size() / kPacket, lead = 0;
    while (lead < packets && lead < 8 && ts[lead * kPacket] == 0x47 && pid(lead) == 0x11) ++lead;
    if (lead == 0) return;
    std::size_t tables = lead;  // PAT and PMTs after the SDT packets
    while (tables < packets && tables < lead + 8 && pid(tables) != 0x11 &&
           (pid(tables) == 0 || (pid(tables) >= 0x1000 && pid(tables) < 0x1100)))
        ++tables;
    if (tables == lead) return;
    std::string sdt = ts.substr(0, lead * kPacket);
    ts.erase(0, lead * kPacket);
    ts.insert((tables - lead) * kPacket, sdt);
}

}  // namespace

std::string ts_segment(const MediaIndex& idx, std::size_t n, int fd) {
    if (n >= idx.segments.size()) throw Error("not_found", "no segment " + std::to_string(n));
    const Segment& seg = idx.segments[n];
    AVFormatContext* raw = nullptr;
    int err = avformat_alloc_output_context2(&raw, nullptr, "mpegts", nullptr);
    if (err < 0) failed(idx, "mpegts muxer", err);
    Output oc(raw);
    for (const auto& t : idx.tracks) {
        AVStream* st = avformat_new_stream(oc.get(), nullptr);
        if (!st) throw std::bad_alloc();
        avcodec_parameters_copy(st->codecpar, t.params->p);
        st->codecpar->codec_tag = 0;  // the MP4 tag means nothing in a transport stream
        st->time_base = AVRational{t.time_base_num, t.time_base_den};
    }
    oc->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    std::string ts;
    ts.reserve(seg.bytes + seg.bytes / 6 + (64 << 10));  // the samples, PES and TS headers
    constexpr int kIoBuffer = 64 << 10;
    auto* iobuf = static_cast<std::uint8_t*>(av_malloc(kIoBuffer));
    if (!iobuf) throw std::bad_alloc();
    oc->pb = avio_alloc_context(iobuf, kIoBuffer, 1, &ts, nullptr, &append_output, nullptr);
    if (!oc->pb) {
        av_free(iobuf);
        throw std::bad_alloc();
    }
    if ((err = avformat_write_header(oc.get(), nullptr)) < 0) failed(idx, "mpegts header", err);

    // The tracks' samples merged by decode time, as a demuxer would hand them.
    std::vector<std::size_t> next(idx.tracks.size());
    for (std::size_t t = 0; t < idx.tracks.size(); ++t) next[t] = seg.samples[t].first;
    std::unique_ptr<AVPacket, PacketDeleter> pkt(av_packet_alloc());
    for (;;) {
        int pick = -1;
        double pick_at = 0;
        for (std::size_t t = 0; t < idx.tracks.size(); ++t) {
            if (next[t] >= seg.samples[t].second) continue;
            double at = idx.tracks[t].seconds(idx.tracks[t].samples[next[t]].dts);
            if (pick < 0 || at < pick_at) {
                pick = static_cast<int>(t);
                pick_at = at;
            }
        }
        if (pick < 0) break;
        const Track& tr = idx.tracks[static_cast<std::size_t>(pick)];
        const Sample& s = tr.samples[next[static_cast<std::size_t>(pick)]++];
        if ((err = av_new_packet(pkt.get(), static_cast<int>(s.size))) < 0) failed(idx, "packet", err);
        ssize_t got = pread(fd, pkt->data, s.size, s.pos);
        if (got != static_cast<ssize_t>(s.size))
            throw Error("bad_media", idx.path + ": changed or shorter than its index (a sample at byte " +
                                         std::to_string(s.pos) + " cannot be read)");
        auto offset = static_cast<std::int64_t>(std::llround(kTimestampOffset * tr.time_base_den / tr.time_base_num));
        pkt->dts = s.dts + offset;
        pkt->pts = s.pts + offset;
        pkt->duration = s.duration;
        pkt->flags = s.key ? AV_PKT_FLAG_KEY : 0;
        pkt->stream_index = pick;
        av_packet_rescale_ts(pkt.get(), AVRational{tr.time_base_num, tr.time_base_den},
                             oc->streams[pick]->time_base);
        if ((err = av_interleaved_write_frame(oc.get(), pkt.get())) < 0) failed(idx, "mpegts packet", err);
    }
    if ((err = av_write_trailer(oc.get())) < 0) failed(idx, "mpegts trailer", err);
    avio_flush(oc->pb);
    pat_first(ts);
    return ts;
}

}  // namespace sr::stream
