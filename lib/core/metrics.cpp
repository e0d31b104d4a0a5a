#include "core/metrics.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string_view>

namespace sr {
namespace {

enum class Kind { counter, gauge };

struct Known {
    std::string_view key;
    Kind kind;
    std::string_view help;
    std::string_view name = {};  // the metric's name without "sr_" when the key's would mislead
};

// The metrics with a help line of their own; every gauge must be here (a
// key not here is taken for a counter). Keys as in sys.stats.
constexpr Known kKnown[] = {
    {"uptime_s", Kind::gauge, "Seconds since the daemon started."},
    {"rpc.connections", Kind::counter, "Connections accepted on the control socket."},
    {"rpc.connections_open", Kind::gauge, "Connections open on the control socket."},
    {"rpc.connections_refused", Kind::counter, "Control connections refused over the limit."},
    {"rpc.output_buffered", Kind::gauge, "Bytes of answers and notifications waiting to be read by clients.",
     "rpc_output_buffered_bytes"},
    {"rpc.requests", Kind::counter, "RPC requests received."},
    {"rpc.errors", Kind::counter, "RPC requests answered with an error."},
    {"rpc.denied", Kind::counter, "Mutating RPC requests refused for lack of permission."},
    {"rpc.accept_errors", Kind::counter, "accept() failures on the control socket (descriptors exhausted)."},
    {"rpc.bad_frames", Kind::counter, "Control connections closed for a malformed msgpack frame."},
    {"rpc.invalid_messages", Kind::counter, "Well-formed frames that are no msgpack-RPC message."},
    {"rpc.slow_clients_cut", Kind::counter, "Clients disconnected for not reading their answers."},
    {"rpc.reads_paused", Kind::counter, "Times a client's reading was paused while its answers waited."},
    {"rpc.internal_errors", Kind::counter, "RPC handlers that failed unexpectedly."},
    {"rpc.unexpected_responses", Kind::counter, "Responses to no outstanding request."},
    {"metrics.scrapes", Kind::counter, "Scrapes of the --metrics-listen endpoint."},
    {"metrics.connections_refused", Kind::counter, "Metrics connections refused over the limits."},
    {"metrics.connections_timed_out", Kind::counter, "Metrics connections closed for a slow request or idleness."},
    // sr-dhtd
    {"pastry.in", Kind::counter, "Pastry messages received, by type.", "pastry_messages_in"},
    {"pastry.out", Kind::counter, "Pastry messages sent, by type.", "pastry_messages_out"},
    {"pastry.known_peers", Kind::gauge, "Overlay nodes in the leaf set and routing table."},
    {"pastry.peers_dead", Kind::counter, "Neighbours declared dead after missed probes."},
    {"pastry.peers_departed", Kind::counter, "Neighbours that announced their departure."},
    {"pastry.probes", Kind::counter, "Liveness probes sent."},
    {"pastry.probe_timeouts", Kind::counter, "Liveness probes unanswered."},
    {"pastry.leaf_repairs", Kind::counter, "Leaf set repairs."},
    {"pastry.rt_repairs", Kind::counter, "Routing table repairs."},
    {"dht.subscriptions", Kind::gauge, "Keys watched by local listeners (dht.listen)."},
    {"dht.subscriber_nodes", Kind::gauge, "Remote nodes watching keys stored here."},
    {"dht.replicas_refused", Kind::counter, "Replicas refused, by reason."},
    {"store.keys", Kind::gauge, "Keys stored on this node."},
    {"store.values", Kind::gauge, "Values stored on this node."},
    {"store.tombstones", Kind::gauge, "Removal records kept on this node."},
    {"store.bytes", Kind::gauge, "Bytes of values stored on this node.", "store_bytes"},
    {"store.writers", Kind::gauge, "Writer keys known to the store."},
    {"store.puts", Kind::counter, "Values stored."},
    {"store.stale", Kind::counter, "Puts refused as older than the stored version."},
    {"store.removed", Kind::counter, "Values removed."},
    {"store.expired", Kind::counter, "Values expired."},
    // sr-cached
    {"cache.requests", Kind::counter, "HTTP requests received (clients, peers and services)."},
    {"cache.hits", Kind::counter, "Requests answered from the store."},
    {"cache.misses", Kind::counter, "Answers the access log marks MISS (filled from the origin)."},
    {"cache.bytes", Kind::gauge, "Bytes of objects in the store.", "cache_stored_bytes"},
    {"cache.max_bytes", Kind::gauge, "The store's size limit in bytes.", "cache_max_bytes"},
    {"cache.objects", Kind::gauge, "Objects in the store."},
    {"cache.index_rebuilt", Kind::gauge, "1 when the store's index was rebuilt from the objects at start."},
    {"cache.connections_open", Kind::gauge, "Client HTTP connections open."},
    {"cache.bytes_in", Kind::counter, "Body bytes received from origins and peers.", "cache_in_bytes"},
    {"cache.bytes_out", Kind::counter, "Body bytes sent to clients.", "cache_out_bytes"},
    // sr-eventd
    {"event.linked", Kind::gauge, "1 while sr-eventd is registered with its sr-dhtd."},
    {"event.topics", Kind::gauge, "Topics this node takes part in."},
    {"event.subscribers", Kind::gauge, "Local subscribers."},
    {"event.publishes_waiting", Kind::gauge, "Publishes waiting for the root's sequence number."},
    // sr-streamd
    {"stream.connections_open", Kind::gauge, "Client HTTP connections open."},
    {"stream.live_channels", Kind::gauge, "Live channels configured."},
    {"stream.titles_indexed", Kind::gauge, "Titles of the media directory indexed so far."},
};

const Known* known(std::string_view key) {
    for (const auto& k : kKnown)
        if (k.key == key) return &k;
    return nullptr;
}

std::string snake(std::string_view s) {
    std::string out;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        out += ok ? c : '_';
    }
    return out;
}

bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

struct Sample {
    std::string daemon, socket, label_name, label_value;  // socket: empty unless needed
    double value;
};

struct Family {
    Kind kind = Kind::counter;
    std::string help;
    std::string unit;  // "seconds", "bytes" or empty
    std::vector<Sample> samples;
};

// Splits a key into its family's key and, for keys of three parts or more,
// the label: "pastry.in.ping" -> ("pastry.in", type, ping).
void family_of(const std::string& key, std::string& family_key, std::string& label_name, std::string& label_value) {
    auto first = key.find('.');
    auto second = first == std::string::npos ? std::string::npos : key.find('.', first + 1);
    if (second == std::string::npos) {
        family_key = key;
        return;
    }
    family_key = key.substr(0, second);
    label_value = key.substr(second + 1);
    label_name = family_key == "dht.replicas_refused" ? "reason" : family_key.rfind("pastry.", 0) == 0 ? "type" : "kind";
}

std::string escape_label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string number(double v) {
    char buf[64];
    if (v < 9.0e15 && v > -9.0e15 && v == static_cast<double>(static_cast<std::int64_t>(v)))  // range first: no UB
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    else
        std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

bool stat_is_gauge(const std::string& key) {
    std::string family_key, label_name, label_value;
    family_of(key, family_key, label_name, label_value);
    const Known* k = known(family_key);
    return k && k->kind == Kind::gauge;
}

const char* metrics_content_type(MetricsFormat format) {
    return format == MetricsFormat::openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                                : "text/plain; version=0.0.4; charset=utf-8";
}

MetricsFormat metrics_format_for(const std::string& accept) {
    return accept.find("application/openmetrics-text") != std::string::npos ? MetricsFormat::openmetrics
                                                                               : MetricsFormat::prometheus;
}

std::string metrics_text(const std::vector<DaemonStats>& daemons, MetricsFormat format) {
    std::map<std::string, Family> families;  // by name without _total
    std::map<std::string, int> named;        // daemons by name: two of one name need their socket as a label
    for (const auto& d : daemons) ++named[d.daemon];
    for (const auto& d : daemons) {
        std::string socket = named[d.daemon] > 1 ? d.socket : std::string();
        if (!d.stats.is_object()) continue;
        for (const auto& [key, v] : d.stats.items()) {
            double value;
            if (v.is_boolean()) value = v.get<bool>() ? 1 : 0;
            else if (v.is_number()) value = v.get<double>();
            else continue;  // text or structure: not a metric
            std::string family_key, label_name, label_value;
            family_of(key, family_key, label_name, label_value);
            const Known* k = known(family_key);
            Kind kind = k ? k->kind : Kind::counter;
            std::string name = k && !k->name.empty() ? std::string(k->name) : snake(family_key);
            std::string unit;
            // Units in base units, spelt out: seconds from _s, _ms and _us.
            if (ends_with(name, "_ms")) name.resize(name.size() - 3), value /= 1e3, unit = "seconds";
            else if (ends_with(name, "_us")) name.resize(name.size() - 3), value /= 1e6, unit = "seconds";
            else if (ends_with(name, "_s")) name.resize(name.size() - 2), unit = "seconds";
            if (unit == "seconds") name += "_seconds";
            else if (ends_with(name, "_bytes")) unit = "bytes";
            if (ends_with(name, "_total")) name.resize(name.size() - 6);
            name = "sr_" + name;
            Family& f = families[name];
            f.kind = kind;
            f.unit = unit;
            f.help = k ? std::string(k->help) : "The counter " + family_key + " of sys.stats (see the daemon's man page).";
            f.samples.push_back({d.daemon, socket, label_name, label_value, value});
        }
    }
    std::string out;
    bool om = format == MetricsFormat::openmetrics;
    for (const auto& [name, f] : families) {
        bool counter = f.kind == Kind::counter;
        // OpenMetrics names a counter's family without _total and its samples
        // with it; the Prometheus text format names both with it.
        std::string family = om || !counter ? name : name + "_total";
        std::string sample = counter ? name + "_total" : name;
        out += "# HELP " + family + " " + f.help + "\n";
        out += "# TYPE " + family + (counter ? " counter\n" : " gauge\n");
        if (om && !f.unit.empty()) out += "# UNIT " + family + " " + f.unit + "\n";
        for (const auto& s : f.samples) {
            out += sample + "{daemon=\"" + escape_label(s.daemon) + "\"";
            if (!s.socket.empty()) out += ",socket=\"" + escape_label(s.socket) + "\"";
            if (!s.label_name.empty()) out += "," + s.label_name + "=\"" + escape_label(s.label_value) + "\"";
            out += "} " + number(s.value) + "\n";
        }
    }
    if (om) out += "# EOF\n";
    return out;
}

}  // namespace sr
