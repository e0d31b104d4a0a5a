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
// Local side. A subscriber is a Sink: a control connection that called
// event.subscribe (messages as event.message notifications, gaps as
// event.gap) or a Server-Sent Events stream (http.hpp). Messages reach it in
// sequence order. Its queue is the sink's own output buffer, bounded by
// queue_bytes: what does not fit is not queued but counted, and reported as
// one gap once the subscriber has read its queue down, so a slow subscriber
// never slows the tree or the daemon. A subscription with `since` is first
// served from the root's replay buffer (the core's fetch), live messages
// being held until the replay is in.
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
    // Where the root state is kept across a clean restart (roots.msgpack);
    // empty: nowhere.
    std::string state_dir;
};

// Where one subscriber's messages go.
class Sink {
  public:
    virtual ~Sink() = default;
    virtual bool open() const = 0;
    virtual std::size_t queued() const = 0;  // bytes written and not yet taken by the reader
    virtual void message(const Message& m) = 0;
    virtual void gap(const std::string& topic, std::uint64_t from, std::uint64_t to, const std::string& reason) = 0;
};

// The outcome of a publish: seq, or an error code and message.
using PublishDone = std::function<void(const std::string& code, const std::string& message, std::uint64_t seq)>;

class EventService {
  public:
    EventService(Loop& loop, EventConfig cfg, rpc::Counters& counters);
    ~EventService();

    void start();
    void stop();
    // Called once, the first time sr-dhtd has registered the application.
    std::function<void()> on_first_link;
    bool linked() const { return registered_; }  // registered with sr-dhtd

    // event.publish: done runs once the root has numbered the message and a
    // replica holds it, or with an error. Throws when it cannot start.
    void publish(const std::string& topic, std::string payload, bool retain, PublishDone done);

    // Subscribers. add_subscriber() returns its id; subscribe() throws on a
    // bad topic or quota; the owner of the sink calls drained() when its
    // reader has caught up and remove_subscriber() when it is gone.
    std::uint64_t add_subscriber(std::shared_ptr<Sink> sink);
    void subscribe(std::uint64_t sub, const std::vector<std::string>& topics, std::optional<std::uint64_t> since);
    std::size_t unsubscribe(std::uint64_t sub, const std::vector<std::string>& topics);  // topics left
    void drained(std::uint64_t sub);
    void remove_subscriber(std::uint64_t sub);

    // event.subscribe and event.unsubscribe on a control connection: one
    // subscriber per connection, removed when it closes.
    void subscribe_connection(const std::vector<std::string>& topics, std::optional<std::uint64_t> since,
                              const std::shared_ptr<rpc::Connection>& conn);
    std::size_t unsubscribe_connection(const std::vector<std::string>& topics, const rpc::Connection& conn);

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
        std::shared_ptr<Sink> sink;
        std::map<std::string, TopicStream> topics;
    };

    void link();
    void on_registered(const Value& node);
    void on_upcall(rpc::Connection& c, rpc::Message& m);
    void on_notification(rpc::Connection& c, rpc::Message& m);
    void carry_out(std::vector<Effect> effects);
    void arm_tick();
    std::string roots_path() const;
    void save_roots();
    void restore_roots(std::vector<Effect>& out);
    void deliver(const Message& m);
    void report_gap(const std::string& topic, std::uint64_t from, std::uint64_t to);
    void fetched(const Fetched& f);
    void hand(Subscriber& s, TopicStream& ts, const Message& m);
    void flush_gap(Subscriber& s, TopicStream& ts, const std::string& topic);
    void local_subscribe(const std::string& topic);
    void local_unsubscribe(const std::string& topic);

    Loop& loop_;
    EventConfig cfg_;
    rpc::Counters& counters_;
    std::shared_ptr<rpc::Connection> dht_;
    bool registered_ = false;
    std::unique_ptr<Scribe> core_;
    Timer tick_, relink_;
    std::uint64_t next_subscriber_ = 1;
    std::map<std::uint64_t, Subscriber> subscribers_;            // by subscriber id
    std::map<std::uint64_t, std::uint64_t> by_connection_;       // control connection id -> subscriber id
    std::map<std::string, std::set<std::uint64_t>> by_topic_;    // topic -> subscriber ids
    std::map<std::uint64_t, PublishDone> publishes_;             // core token -> the caller
    std::map<std::uint64_t, std::pair<std::uint64_t, std::string>> fetches_;  // token -> (subscriber id, topic)
    bool stopped_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sr::event
