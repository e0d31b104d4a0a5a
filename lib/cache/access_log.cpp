#include "cache/access_log.hpp"

#include "core/log.hpp"
#include "core/value.hpp"

#include <cstdio>

namespace sr::cache {

std::string access_line(const std::string& format, const AccessRecord& r) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", r.ms);
    if (format == "json") {
        Value v{{"time", r.time},
                {"client", r.client},
                {"method", log::escape(r.method)},
                {"url", log::escape(r.url)},
                {"status", r.status},
                {"bytes", r.bytes},
                {"cache", r.x_cache},
                {"ms", Value::parse(ms)},
                {"upstream", r.upstream.empty() ? Value() : Value(r.upstream)},
                {"for", r.for_client.empty() ? Value() : Value(log::escape(r.for_client))}};
        return v.dump(-1, ' ', false, Value::error_handler_t::replace) + "\n";
    }
    auto field = [](const std::string& s) { return s.empty() ? std::string("-") : log::escape(s); };
    return r.time + " " + field(r.client) + " " + field(r.method) + " " + field(r.url) + " " + std::to_string(r.status) +
           " " + std::to_string(r.bytes) + " " + r.x_cache + " " + ms + " " + field(r.upstream) + " " +
           field(r.for_client) + "\n";
}

}  // namespace sr::cache
