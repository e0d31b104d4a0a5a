#include "stream/mux.hpp"

#include "core/error.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <unistd.h>

namespace sr::stream::mux {

namespace {

int append_output(void* opaque, std::uint8_t* buf, int size) {
    static_cast<std::string*>(opaque)->append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(size));
    return size;
}

}  // namespace

void OutputDeleter::operator()(AVFormatContext* oc) const {
    if (!oc) return;
    if (oc->pb) {
        av_freep(&oc->pb->buffer);
        avio_context_free(&oc->pb);
    }
    avformat_free_context(oc);
}

void PacketDeleter::operator()(AVPacket* p) const { av_packet_free(&p); }

[[noreturn]] void failed(const std::string& source, const std::string& what, int err) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(err, buf, sizeof buf);
    throw Error("bad_media", source + ": " + what + ": " + buf);
}

[[noreturn]] void failed(const MediaIndex& idx, const std::string& what, int err) { failed(idx.path, what, err); }

Output open_output(const MediaIndex& idx, const char* format, std::string& sink) {
    return open_output(idx.path, format, sink);
}

Output open_output(const std::string& what, const char* format, std::string& sink) {
    AVFormatContext* raw = nullptr;
    int err = avformat_alloc_output_context2(&raw, nullptr, format, nullptr);
    if (err < 0) failed(what, std::string(format) + " muxer", err);
    Output oc(raw);
    constexpr int kIoBuffer = 64 << 10;
    auto* iobuf = static_cast<std::uint8_t*>(av_malloc(kIoBuffer));
    if (!iobuf) throw std::bad_alloc();
    oc->pb = avio_alloc_context(iobuf, kIoBuffer, 1, &sink, nullptr, &append_output, nullptr);
    if (!oc->pb) {
        av_free(iobuf);
        throw std::bad_alloc();
    }
    return oc;
}

Packet new_packet() {
    Packet p(av_packet_alloc());
    if (!p) throw std::bad_alloc();
    return p;
}

void read_sample(const MediaIndex& idx, const Sample& s, int fd, AVPacket* pkt) {
    av_packet_unref(pkt);
    int err = av_new_packet(pkt, static_cast<int>(s.size));
    if (err < 0) failed(idx, "packet", err);
    ssize_t got = pread(fd, pkt->data, s.size, s.pos);
    if (got != static_cast<ssize_t>(s.size))
        throw Error("bad_media", idx.path + ": changed or shorter than its index (a sample at byte " +
                                     std::to_string(s.pos) + " cannot be read)");
    pkt->flags = s.key ? AV_PKT_FLAG_KEY : 0;
}

}  // namespace sr::stream::mux
