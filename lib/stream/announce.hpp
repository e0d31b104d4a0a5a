// sr-streamd's titles announced in the overlay, through the sr-cached of the
// same runtime directory: a service instance "stream" at sr-streamd's URL,
// with the title list as an attribute "titles" and the live channels as
// "live" (service.register, see sr-cached(8)).
// sr-cached signs the descriptor, keeps it in the DHT and refreshes it, so
// `sr-lookup resolve stream` and any node's /svc/stream/... reach the
// nearest sr-streamd. Registered at start and again whenever the list of
// titles or channels changes (checked every minute) or sr-cached was not there;
// withdrawn at a clean stop. Without an sr-cached nothing is announced, and
// sr-streamd says so once.
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "stream/catalog.hpp"
#include "stream/channels.hpp"

#include <functional>
#include <memory>
#include <string>

namespace sr::stream {

class Announcer {
  public:
    Announcer(Loop& loop, Catalog& catalog, Channels& channels, std::string cached_socket, std::string url,
              rpc::Counters& counters);
    ~Announcer();
    void start();
    // Withdraws the instance, then runs done (at once when there is nothing to withdraw).
    void stop(std::function<void()> done);

  private:
    void check();
    void call(const std::string& method, Value params, std::function<void(bool ok)> then);

    Loop& loop_;
    Catalog& catalog_;
    Channels& channels_;
    std::string socket_;
    std::string url_;
    rpc::Counters& counters_;
    Value announced_;  // the attributes sr-cached last accepted
    bool registered_ = false;
    bool warned_ = false;
    Timer timer_;
    std::unique_ptr<Timer> give_up_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sr::stream
