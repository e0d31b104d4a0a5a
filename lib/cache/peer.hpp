// The X-SR-Peer mark of requests between peer caches.
//
// A request so marked is answered only from the receiving cache's store,
// never fetched (that is what keeps peers from looping). Without a key the
// mark is "1" and taken on trust, which suits an overlay whose HTTP ports
// only routers reach. With --peer-key-file the mark is "t=UNIX,mac=HEX":
// HMAC-SHA256 over the time and the URL, valid for five minutes either
// side, so a client outside the overlay cannot claim to be a peer (and
// read stored copies without revalidation).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sr::cache {

constexpr std::int64_t kPeerMarkWindow = 300;  // seconds

std::string peer_mark(const std::optional<std::string>& key, const std::string& url, std::int64_t now);
bool peer_mark_valid(const std::optional<std::string>& key, std::string_view mark, const std::string& url,
                     std::int64_t now);

}  // namespace sr::cache
