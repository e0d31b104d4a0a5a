#include "stream/announce.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

namespace sr::stream {

namespace {
constexpr std::int64_t kCheckUs = 60'000'000;
constexpr const char* kService = "stream";
}  // namespace

Announcer::Announcer(Loop& loop, Catalog& catalog, Channels& channels, std::string cached_socket, std::string url,
                     rpc::Counters& counters)
    : loop_(loop), catalog_(catalog), channels_(channels), socket_(std::move(cached_socket)), url_(std::move(url)), counters_(counters),
      timer_(loop, [this] { check(); }) {}

Announcer::~Announcer() { *alive_ = false; }

void Announcer::start() { check(); }

// One call on a connection of its own: sr-cached may come and go.
void Announcer::call(const std::string& method, Value params, std::function<void(bool ok)> then) {
    std::shared_ptr<rpc::Connection> c;
    try {
        c = rpc::connect_unix(loop_, socket_, counters_);
    } catch (const Error& e) {
        if (!warned_) log::warn("no sr-cached at ", socket_, " (", e.what(), "): titles not announced in the overlay");
        warned_ = true;
        return then(false);
    }
    auto alive = alive_;
    c->call(method, params, [this, alive, c, method, then](const Value& err, const Value&) {
        c->close();
        if (!*alive) return;
        if (!err.is_null())
            log::warn(method, " at sr-cached: ", err.value("code", std::string("?")), ": ",
                      err.value("message", std::string()));
        then(err.is_null());
    });
}

void Announcer::check() {
    timer_.arm_in(kCheckUs);
    auto joined = [](const std::vector<std::string>& names) {
        std::string out;
        for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
        return out;
    };
    Value attrs{{"titles", joined(catalog_.names())}};
    if (!channels_.empty()) attrs["live"] = joined(channels_.names());
    if (registered_ && attrs == announced_) return;
    auto alive = alive_;
    call("service.register", {{"name", kService}, {"url", url_}, {"attrs", attrs}},
         [this, alive, attrs](bool ok) {
             if (!*alive || !ok) return;
             if (!registered_ || attrs != announced_) log::info("announced as service ", kService, " at ", url_);
             registered_ = true;
             warned_ = false;
             announced_ = attrs;
             ++counters_["stream.announcements"];
         });
}

void Announcer::stop(std::function<void()> done) {
    timer_.cancel();
    if (!registered_) return done();
    registered_ = false;
    // Once: on the answer, or after 2 s of sr-cached's silence.
    auto once = std::make_shared<std::function<void()>>(std::move(done));
    auto finish = [once] {
        if (*once) std::exchange(*once, nullptr)();
    };
    give_up_ = std::make_unique<Timer>(loop_, finish);
    give_up_->arm_in(2'000'000);
    call("service.withdraw", {{"name", kService}, {"url", url_}}, [finish](bool) { finish(); });
}

}  // namespace sr::stream
