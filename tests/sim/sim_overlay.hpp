// Many sans-IO Pastry cores (lib/dht/pastry.hpp) on a simulated Network
// (sim_network.hpp), driven by one event queue: shared by sr-sim's PNS mode
// (pns_sim.cpp) and sr-scribe-sim (scribe_sim.cpp).
//
// One priority queue of (time, seq, event) drives everything: message
// deliveries after the network latency, node ticks (at each core's
// next_wakeup()), "unreachable" notices, and the events of an application
// on top (a subclass's kinds from kApp on, handed to app_event). A message
// to a node not alive is lost and its sender hears peer_unreachable after
// 2 x latency + unreachable_us, the way a transport learns of a refused or
// timed-out connection. Leaf-set changes are passed on to leafset_changed,
// as sr-dhtd passes them on to its applications (app.update).
#pragma once

#include "dht/pastry.hpp"
#include "sim_network.hpp"

#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

namespace sr::sim {

// Values in flight, each in an int slot that is reused once taken.
template <typename T>
class Slab {
  public:
    int put(T&& v) {
        if (!free_.empty()) {
            int s = free_.back();
            free_.pop_back();
            items_[static_cast<std::size_t>(s)] = std::move(v);
            return s;
        }
        items_.push_back(std::move(v));
        return static_cast<int>(items_.size() - 1);
    }
    T take(int s) {
        free_.push_back(s);
        return std::move(items_[static_cast<std::size_t>(s)]);
    }

  private:
    std::vector<T> items_;
    std::vector<int> free_;
};

class Overlay {
  public:
    struct SimNode {
        std::unique_ptr<pastry::Node> core;
        std::unique_ptr<pastry::Proximity> prox;
        pastry::NodeRef ref;
        bool alive = false;  // started and not failed
        bool joined = false;
        std::int64_t scheduled = INT64_MAX;
    };

    // Node i gets id ids[i] and address addr_of(i).
    Overlay(const Network& net, const std::vector<Id>& ids, std::int64_t unreachable_us);
    virtual ~Overlay() = default;
    Overlay(const Overlay&) = delete;
    Overlay& operator=(const Overlay&) = delete;

    // Nodes join one by one, gap_us apart, each through the lowest-latency
    // node already joined (Pastry assumes a nearby contact), with the
    // Proximity prox(i) makes (null: measured RTT); then settle_us pass.
    void join_all(std::int64_t gap_us, std::int64_t settle_us,
                  const std::function<std::unique_ptr<pastry::Proximity>(int)>& prox);
    void run_until(std::int64_t t);
    // Node i stops at once: what it was sent is lost.
    void fail(int i) { nodes_[static_cast<std::size_t>(i)].alive = false; }
    // A message from `from` to the dead node `to` is lost: count it, and
    // tell the sender's core when its transport would notice.
    void lost_to(int from, int to);

    int size() const { return static_cast<int>(nodes_.size()); }
    std::int64_t now() const { return now_; }
    const Network& net() const { return net_; }
    const SimNode& node(int i) const { return nodes_[static_cast<std::size_t>(i)]; }
    pastry::Node& core(int i) { return *nodes_[static_cast<std::size_t>(i)].core; }
    const pastry::Node& core(int i) const { return *nodes_[static_cast<std::size_t>(i)].core; }
    bool alive(int i) const { return nodes_[static_cast<std::size_t>(i)].alive; }
    int joined() const { return joined_; }
    std::uint64_t sent() const { return sent_; }  // Pastry messages
    std::uint64_t lost() const { return lost_; }  // any message, to a dead node

  protected:
    static constexpr std::uint8_t kApp = 3;  // the first event kind left to subclasses
    void push(std::int64_t t, std::uint8_t kind, int node, int payload) {
        q_.push(Ev{t, seq_++, node, payload, kind});
    }
    virtual void app_event(std::uint8_t, int /*node*/, int /*payload*/) {}
    virtual void leafset_changed(int /*node*/, const pastry::LeafSetChanged&) {}
    std::uint64_t lost_ = 0;

  private:
    enum Kind : std::uint8_t { kDeliver, kTick, kUnreachable };
    struct Ev {
        std::int64_t t;
        std::uint64_t seq;
        std::int32_t node;     // receiver / ticking node / node to notify
        std::int32_t payload;  // message slot, or the unreachable node
        std::uint8_t kind;
    };
    struct Later {
        bool operator()(const Ev& a, const Ev& b) const { return a.t != b.t ? a.t > b.t : a.seq > b.seq; }
    };
    void start(int i, std::unique_ptr<pastry::Proximity> prox);
    void apply(int i, std::vector<pastry::Effect>&& effs);

    const Network& net_;
    std::int64_t unreachable_us_;
    std::vector<SimNode> nodes_;
    std::priority_queue<Ev, std::vector<Ev>, Later> q_;
    Slab<pastry::Message> msgs_;
    std::uint64_t seq_ = 0, sent_ = 0;
    std::int64_t now_ = 0;
    int joined_ = 0;
};

// N node ids from the seed, none zero: the same for every run of a seed.
std::vector<Id> random_ids(int n, std::uint64_t seed);

// The live nodes sorted by id, to find a key's root by brute force: the
// numerically closest live node (ties by sr::closer_to, as Pastry's).
class Ring {
  public:
    explicit Ring(const Overlay& ov);
    int root_of(const Id& key) const;
    const std::vector<std::pair<Id, int>>& nodes() const { return live_; }

  private:
    std::vector<std::pair<Id, int>> live_;
};

}  // namespace sr::sim
