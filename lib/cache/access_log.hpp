// sr-cached's access log: one record per answer (sr-cached(8), ACCESS LOG).
//
//   text: TIME CLIENT METHOD URL STATUS BYTES X-CACHE MS UPSTREAM FOR
//   json: {"time", "client", "method", "url", "status", "bytes", "cache",
//          "ms", "upstream", "for"}
//
// TIME is RFC 3339 UTC with milliseconds; UPSTREAM the ADDR:PORT of the
// origin, peer or service instance that answered ("-": the store or the
// cache itself); FOR, on a peer cache's request, the client it asked for.
// What a client or peer sent (method, target, FOR) is escaped as in every
// log line, so one answer stays one line.
#pragma once

#include <cstdint>
#include <string>

namespace sr::cache {

struct AccessRecord {
    std::string time, client, method, url;
    int status = 0;
    std::uint64_t bytes = 0;
    std::string x_cache;
    double ms = 0;
    std::string upstream, for_client;
};

// The record's line, newline included, in format "text" or "json".
std::string access_line(const std::string& format, const AccessRecord& r);

}  // namespace sr::cache
