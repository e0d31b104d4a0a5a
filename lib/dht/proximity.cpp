#include "dht/proximity.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <sys/stat.h>

namespace sr::dht {

namespace {
constexpr std::int64_t kAskDelayUs = 50'000;             // batch the misses of one burst
constexpr std::int64_t kRefreshUs = 300'000'000;         // forget costs: the topology may have changed
constexpr std::int64_t kReconnectEveryUs = 10'000'000;   // look for sr-proxd again
constexpr std::size_t kMaxCache = 65536;
}  // namespace

std::string host_of(const std::string& addr) {
    if (!addr.empty() && addr.front() == '[') {
        auto end = addr.find(']');
        return addr.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    }
    return addr.substr(0, addr.rfind(':'));
}

TopologyProximity::TopologyProximity(Loop& loop, std::string proxd_socket, std::string self_addr,
                                     rpc::Counters& counters)
    : loop_(loop), socket_(std::move(proxd_socket)), self_ip_(host_of(self_addr)), counters_(counters),
      ask_timer_(loop, [this] { ask(); }), refresh_timer_(loop, [this] {
          cache_.clear();
          refresh_timer_.arm_in(kRefreshUs);
      }) {
    refresh_timer_.arm_in(kRefreshUs);
}

TopologyProximity::~TopologyProximity() {
    if (conn_) conn_->close();
}

bool TopologyProximity::ensure_connected() {
    if (connected()) return true;
    std::int64_t now = Loop::now_us();
    if (now < next_connect_us_) return false;
    next_connect_us_ = now + kReconnectEveryUs;
    struct stat st {};
    if (::stat(socket_.c_str(), &st) != 0) return false;  // no sr-proxd here: RTT it is
    try {
        conn_ = rpc::connect_unix(loop_, socket_, counters_);
        log::info("proximity: neighbour selection uses sr-proxd's topology (", socket_, ")");
        return true;
    } catch (const Error& e) {
        log::debug("proximity: ", e.what());
        return false;
    }
}

std::optional<double> TopologyProximity::cost(const pastry::NodeRef& peer) {
    std::string ip = host_of(peer.addr);
    if (auto it = cache_.find(ip); it != cache_.end()) return it->second;
    if (cache_.size() < kMaxCache && wanted_.insert(ip).second && !ask_timer_.armed()) ask_timer_.arm_in(kAskDelayUs);
    return std::nullopt;
}

void TopologyProximity::ask() {
    if (asking_ || wanted_.empty()) return;
    if (!ensure_connected()) {
        wanted_.clear();  // asked again on the core's next look at them
        return;
    }
    Value pairs = Value::array();
    std::vector<std::string> ips(wanted_.begin(), wanted_.end());
    wanted_.clear();
    for (const auto& ip : ips) pairs.push_back(Value::array({self_ip_, ip}));
    asking_ = true;
    ++counters_["proximity.queries"];
    conn_->call("prox.cost_batch", {{"pairs", pairs}}, [this, ips](const Value& err, const Value& res) {
        asking_ = false;
        if (!err.is_null() || !res.is_object() || !res.contains("costs") || !res["costs"].is_array() ||
            res["costs"].size() != ips.size()) {
            ++counters_["proximity.errors"];
            return;
        }
        const Value& costs = res["costs"];
        for (std::size_t i = 0; i < ips.size(); ++i) {
            cache_[ips[i]] = costs[i].is_number() ? std::optional<double>(costs[i].get<double>()) : std::nullopt;
            ++counters_[costs[i].is_number() ? "proximity.known" : "proximity.unknown"];
        }
        if (!wanted_.empty()) ask_timer_.arm_in(kAskDelayUs);
    });
}

}  // namespace sr::dht
