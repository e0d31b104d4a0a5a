#include "stream/segment.hpp"

#include "core/error.hpp"
#include "stream/mux.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <cerrno>
#include <cmath>
#include <vector>

namespace sr::stream {

namespace {

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
    std::string ts;
    ts.reserve(seg.bytes + seg.bytes / 6 + (64 << 10));  // the samples, PES and TS headers
    mux::Output oc = mux::open_output(idx, "mpegts", ts);
    for (const auto& t : idx.tracks) {
        AVStream* st = avformat_new_stream(oc.get(), nullptr);
        if (!st) throw std::bad_alloc();
        avcodec_parameters_copy(st->codecpar, t.params->p);
        st->codecpar->codec_tag = 0;  // the MP4 tag means nothing in a transport stream
        st->time_base = AVRational{t.time_base_num, t.time_base_den};
    }
    oc->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    int err = 0;
    if ((err = avformat_write_header(oc.get(), nullptr)) < 0) mux::failed(idx, "mpegts header", err);

    // The tracks' samples merged by decode time, as a demuxer would hand them.
    std::vector<std::size_t> next(idx.tracks.size());
    for (std::size_t t = 0; t < idx.tracks.size(); ++t) next[t] = seg.samples[t].first;
    mux::Packet pkt = mux::new_packet();
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
        mux::read_sample(idx, s, fd, pkt.get());
        auto offset = static_cast<std::int64_t>(std::llround(kTimestampOffset * tr.time_base_den / tr.time_base_num));
        pkt->dts = s.dts + offset;
        pkt->pts = s.pts + offset;
        pkt->duration = s.duration;
        pkt->stream_index = pick;
        av_packet_rescale_ts(pkt.get(), AVRational{tr.time_base_num, tr.time_base_den},
                             oc->streams[pick]->time_base);
        if ((err = av_interleaved_write_frame(oc.get(), pkt.get())) < 0) mux::failed(idx, "mpegts packet", err);
    }
    if ((err = av_write_trailer(oc.get())) < 0) mux::failed(idx, "mpegts trailer", err);
    avio_flush(oc->pb);
    pat_first(ts);
    return ts;
}

}  // namespace sr::stream
