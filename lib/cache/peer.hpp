// What one cache of a deployment proves to another (sr-cached(8), COOPERATION
// AND ITS TRUST).
//
// The deployment's credential is the peer key (--peer-key-file), shared by
// the caches of one operator. Three things rest on it:
//
// - The X-SR-Peer mark of requests between peer caches, "t=UNIX,mac=HEX":
//   HMAC-SHA256 over the time and the URL, valid for five minutes either
//   side. A request so marked is answered only from the receiving cache's
//   store, never fetched (that keeps peers from looping) and without
//   revalidation. Without a key no mark is ever valid: a marked request is
//   an ordinary one, so no client can read stored copies by claiming to be
//   a peer.
// - Records in the DHT that make a cache act, replica pointers (obj:URL) and
//   service descriptors (svc:NAME), carry "mac": HMAC-SHA256 over the
//   namespace and the record's msgpack encoding without that field. Anyone
//   may write into the DHT of an open overlay; only a key holder can write
//   a record another cache acts on.
// - A replica pointer names the SHA-256 of the body the holder stored
//   ("digest", hex; one pointer per variant). A fill from a peer is checked
//   against them before any of it is served or stored, so a holder cannot
//   serve other bytes than the ones it announced, and a forged endpoint
//   serves nothing. The holder's answer carries X-SR-Peer-Auth, a MAC over
//   the request's mark, the status and the header fields: only the fields
//   it covers are kept.
#pragma once

#include "cache/policy.hpp"
#include "core/value.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sr::cache {

constexpr std::int64_t kPeerMarkWindow = 300;  // seconds

std::string peer_mark(const std::optional<std::string>& key, const std::string& url, std::int64_t now);
bool peer_mark_valid(const std::optional<std::string>& key, std::string_view mark, const std::string& url,
                     std::int64_t now);

// Adds "mac" to record (a map) for namespace ns ("obj", "svc").
void sign_record(const std::string& key, std::string_view ns, Value& record);
// True when record carries the mac sign_record would give it.
bool record_authentic(const std::string& key, std::string_view ns, const Value& record);

// A peer's answer to a marked request: the holder appends X-SR-Peer-Auth,
// "h=NAMES;mac=HEX", an HMAC-SHA256 over the request's mark, the URL, the
// status and every line of the fields it lists (all but the framing ones), so
// that freshness, type and the rest are the holder's, for this request.
void sign_peer_response(const std::string& key, std::string_view mark, const std::string& url, int status,
                        Headers& h);
// The signed fields of a received answer, or nothing when the mac does not check out.
std::optional<Headers> authentic_peer_response(const std::string& key, std::string_view mark, const std::string& url,
                                               int status, const Headers& received);

std::string hex_of(std::string_view bytes);

}  // namespace sr::cache
