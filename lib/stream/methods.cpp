#include "stream/methods.hpp"

#include "core/error.hpp"

namespace sr::stream {

void add_methods(rpc::Registry& reg, Catalog& catalog, Channels& channels, const ClientConnections& conns) {
    reg.stats_source([&catalog, &channels, &conns] {
        return Value{{"stream.connections_open", conns.open()},
                     {"stream.connections_refused", conns.stats().refused},
                     {"stream.connections_timed_out", conns.stats().timed_out},
                     {"stream.titles_indexed", catalog.indexed()},
                     {"stream.indexings", catalog.indexings()},
                     {"stream.live_channels", channels.size()},
                     {"stream.udp_foreign", channels.foreign_datagrams}};
    });
    reg.add_sync("stream.live",
                 "The live channels: input, state (waiting, live, stalled), segments made and held, bitrate, codecs.",
                 {}, false, [&channels](const Value&, rpc::Call&) { return Value{{"channels", channels.describe()}}; });
    reg.add_sync("stream.list",
                 "The titles of the media directory: renditions, duration, codecs (each file indexed on first use).",
                 {}, false, [&catalog](const Value&, rpc::Call&) {
                     Value titles = Value::array();
                     for (const auto& name : catalog.names()) {
                         Value t{{"name", name}};
                         try {
                             auto title = catalog.title(name);
                             if (!title) continue;
                             Value rends = Value::array();
                             for (const auto& r : title->renditions) {
                                 Value codecs = Value::array();
                                 for (const auto& tr : r.index->tracks) codecs.push_back(tr.codecs);
                                 rends.push_back({{"name", r.name}, {"duration", r.index->duration},
                                                  {"bitrate", r.index->bitrate_average}, {"codecs", codecs},
                                                  {"segments", r.index->segments.size()}});
                             }
                             t["renditions"] = rends;
                         } catch (const Error& e) {
                             t["error"] = e.what();
                         }
                         titles.push_back(t);
                     }
                     return Value{{"titles", titles}};
                 });
}

}  // namespace sr::stream
