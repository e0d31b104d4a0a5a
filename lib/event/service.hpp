// sr-eventd's I/O: the Scribe core (scribe.hpp) wired to sr-dhtd's
// application API and to local subscribers.
//
// Overlay side. sr-eventd is an ordinary client of DIR/dhtd.sock, as any
// third-party application would be: it registers the application "events"
// (dht.app_register), answers app.forward with the core's decision, hands
// app.deliver, app.receive and app.update to the core, and carries out the
// core's effects with dht.route, dht.send and dht.replica_set. When sr-dhtd
// goes away the link is retried every second; on its return the
// application registers again and, should the node id have changed, the
// core is made anew and every topic with local subscribers joined again.
//
// Local side. A subscriber is a control connection that called
// event.subscribe; messages reach it as event.message notifications in
// sequence order, gaps as event.gap. Its queue is the connection's output
// buffer, bounded by queue_bytes: what does not fit is not queued but
// counted, and reported as one gap once the subscriber has read its queue
// down, so a slow subscriber never slows the tree or the daemon. A
// subscription with `since` is first served from the root's replay buffer
// (the core's fetch), live messages being held until the replay is in.
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "core/value.hpp"
#include "event/scribe.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sr::event {

inline constexpr const char* kAppName = "events";

struct EventConfig {
    std::string dht_socket;                    // DIR/dhtd.sock
    Limits limits;
    std::size_t queue_bytes = 4 << 20;         // a subscriber's unread notifications
    std::size_t max_topics_per_connection = 1024;
    std::int64_t dht_timeout_us = 5'000'000;   // an answer from sr-dhtd
};

class EventService {
  public:
    EventService(Loop& loop, EventConfig cfg, rpc::Counters& counters);
    ~EventService();

    void start();
    void stop();
    // Called once, the first time sr-dhtd has registered the application.
    std::function<void()> on_first_link;
    bool linked() const { return registered_; }  // registered with sr-dhtd

    // event.publish: answers {topic, seq} once the root has numbered it and a
    // replica holds it, or an error.
    void publish(const std::string& topic, std::string payload, bool retain, const rpc::Call& call);
    // event.subscribe: the connection receives each topic's messages.
    void subscribe(const std::vector<std::string>& topics, std::optional<std::uint64_t> since,
                   const std::shared_ptr<rpc::Connection>& conn);
    // event.unsubscribe; the number of topics the connection left.
    std::size_t unsubscribe(const std::vector<std::string>& topics, rpc::Connection& conn);

    Value topics() const;
    Value tree(const std::string& topic) const;
    Value stats() const;

  private:
    struct TopicStream {  // one subscriber's view of one topic
        std::uint64_t next = 0;                  // next seq to hand it; 0 until the first message
        bool replaying = false;                  // a `since` fetch is out: live messages are held
        std::vector<Message> held;
        std::optional<std::pair<std::uint64_t, std::uint64_t>> dropped;  // not queued: report as a gap
    };
    struct Subscriber {
        std::weak_ptr<rpc::Connection> conn;
        std::map<std::string, TopicStream> topics;
    };

    void link();
    void on_registered(const Value& node);
    void on_upcall(rpc::Connection& c, rpc::Message& m);
    void on_notification(rpc::Connection& c, rpc::Message& m);
    void carry_out(std::vector<Effect> effects);
    void arm_tick();
    void deliver(const Message& m);
    void report_gap(const std::string& topic, std::uint64_t from, std::uint64_t to);
    void fetched(const Fetched& f);
    void hand(Subscriber& s, TopicStream& ts, const Message& m);
    void flush_gap(Subscriber& s, TopicStream& ts, const std::string& topic);
    void drop_subscriber(std::uint64_t conn_id);
    void local_subscribe(const std::string& topic);
    void local_unsubscribe(const std::string& topic);

    Loop& loop_;
    EventConfig cfg_;
    rpc::Counters& counters_;
    std::shared_ptr<rpc::Connection> dht_;
    bool registered_ = false;
    std::unique_ptr<Scribe> core_;
    Timer tick_, relink_;
    std::map<std::uint64_t, Subscriber> subscribers_;            // by connection id
    std::map<std::string, std::set<std::uint64_t>> by_topic_;    // topic -> subscriber connection ids
    std::map<std::uint64_t, rpc::Call> publishes_;               // core token -> the caller
    std::map<std::uint64_t, std::pair<std::uint64_t, std::string>> fetches_;  // token -> (conn id, topic)
    bool stopped_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sr::event
