// Passive BGP-4 session FSM (see session.hpp).
#include "prox/bgp/session.hpp"

#include <algorithm>
#include <stdexcept>

namespace sr::prox::bgp {

const char* state_name(State s) {
    switch (s) {
        case State::Idle: return "idle";
        case State::Connect: return "connect";
        case State::OpenSent: return "opensent";
        case State::OpenConfirm: return "openconfirm";
        case State::Established: return "established";
    }
    return "unknown";
}

Session::Session(SessionConfig cfg) : cfg_(std::move(cfg)) {
    if (cfg_.router_id == 0) throw std::invalid_argument("BGP router id must not be 0");
    if (cfg_.local_as == 0) throw std::invalid_argument("local AS must not be 0");
    if (cfg_.hold_time == 1 || cfg_.hold_time == 2) throw std::invalid_argument("hold time must be 0 or >= 3");
    if (cfg_.families.empty()) throw std::invalid_argument("no address family to negotiate");
    if (cfg_.open_hold_us <= 0) throw std::invalid_argument("open_hold_us must be positive");
}

void Session::reset() {
    state_ = State::Idle;
    framer_.clear();
    neg_ = {};
    peer_caps_ = {};
    hold_deadline_ = keepalive_deadline_ = INT64_MAX;
    eor_.clear();
}

void Session::send(std::vector<Effect>& out, std::string bytes, MessageType t) {
    ++counters_.msgs_out[static_cast<std::size_t>(t)];
    out.push_back(Send{std::move(bytes)});
}

void Session::down(std::vector<Effect>& out, SessionDown d, bool close) {
    if (close) out.push_back(CloseConnection{d.reason});
    out.push_back(std::move(d));
    reset();
}

void Session::fail(std::vector<Effect>& out, std::uint8_t code, std::uint8_t subcode, std::string data,
                   const std::string& reason) {
    Notification n{code, subcode, std::move(data)};
    send(out, encode_notification(n.code, n.subcode, n.data), MessageType::notification);
    ++counters_.errors_sent;
    SessionDown d;
    d.reason = reason + ": sent NOTIFICATION " + n.describe();
    d.sent = std::move(n);
    down(out, std::move(d), true);
}

void Session::arm_hold(std::int64_t now) {
    if (state_ == State::OpenSent)
        hold_deadline_ = now + cfg_.open_hold_us;
    else if (neg_.hold_time == 0)
        hold_deadline_ = INT64_MAX;
    else
        hold_deadline_ = now + std::int64_t{neg_.hold_time} * 1'000'000;
}

std::vector<Effect> Session::connecting(std::int64_t) {
    if (state_ == State::Idle) state_ = State::Connect;
    return {};
}

std::vector<Effect> Session::tcp_connected(std::int64_t now) {
    std::vector<Effect> out;
    if (state_ != State::Idle && state_ != State::Connect)
        down(out, SessionDown{"connection replaced by a new one", {}, {}}, false);
    reset();
    Open o;
    o.my_as = cfg_.local_as > 0xffff ? kAsTrans : static_cast<std::uint16_t>(cfg_.local_as);
    o.hold_time = cfg_.hold_time;
    o.bgp_id = cfg_.router_id;
    o.capabilities = make_capabilities(cfg_.families, cfg_.local_as);
    send(out, encode(o), MessageType::open);
    state_ = State::OpenSent;
    arm_hold(now);
    return out;
}

std::vector<Effect> Session::tcp_closed(std::int64_t) {
    std::vector<Effect> out;
    if (state_ == State::Idle || state_ == State::Connect) {
        reset();
        return out;
    }
    down(out, SessionDown{std::string("connection closed in state ") + state_name(state_), {}, {}}, false);
    return out;
}

std::vector<Effect> Session::stop(std::string_view reason, std::int64_t) {
    std::vector<Effect> out;
    if (state_ == State::Idle || state_ == State::Connect) {
        reset();
        return out;
    }
    // RFC 8203/9003 shutdown communication: a length octet, then UTF-8 text
    // (cut at 255 octets, not at a character boundary: it is for logs).
    std::string text(reason.substr(0, 255));
    std::string data(1, static_cast<char>(text.size()));
    data += text;
    fail(out, errc::cease, errc::administrative_shutdown, data, "administrative shutdown");
    return out;
}

std::vector<Effect> Session::tick(std::int64_t now) {
    std::vector<Effect> out;
    if (now >= hold_deadline_) {
        fail(out, errc::hold_timer_expired, 0, {}, "hold timer expired");
        return out;
    }
    if (now >= keepalive_deadline_ && (state_ == State::OpenConfirm || state_ == State::Established)) {
        send(out, encode_keepalive(), MessageType::keepalive);
        keepalive_deadline_ = now + std::int64_t{neg_.hold_time} * 1'000'000 / 3;
    }
    return out;
}

std::int64_t Session::next_wakeup() const { return std::min(hold_deadline_, keepalive_deadline_); }

bool Session::negotiated_family(AfiSafi f) const {
    return std::find(neg_.families.begin(), neg_.families.end(), f) != neg_.families.end();
}

bool Session::end_of_rib(AfiSafi f) const { return std::find(eor_.begin(), eor_.end(), f) != eor_.end(); }

std::vector<Effect> Session::request_refresh(AfiSafi family) {
    std::vector<Effect> out;
    if (state_ != State::Established || !peer_caps_.route_refresh || !negotiated_family(family)) return out;
    send(out, encode(RouteRefresh{family, 0}), MessageType::route_refresh);
    return out;
}

std::vector<Effect> Session::bytes_received(std::string_view data, std::int64_t now) {
    std::vector<Effect> out;
    if (state_ != State::OpenSent && state_ != State::OpenConfirm && state_ != State::Established) return out;
    framer_.feed(data);
    try {
        while (state_ != State::Idle) {
            auto m = framer_.next();
            if (!m) break;
            on_message(out, *m, now);
        }
    } catch (const BgpError& e) {
        fail(out, e.code, e.subcode, e.data, e.what());
    }
    return out;
}

void Session::on_message(std::vector<Effect>& out, const std::string& raw, std::int64_t now) {
    Message msg = decode(raw, neg_.four_octet_as);  // throws BgpError
    auto type = static_cast<std::uint8_t>(raw[18]);
    ++counters_.msgs_in[type];
    if (auto* n = std::get_if<Notification>(&msg)) {
        SessionDown d;
        d.reason = "peer sent NOTIFICATION " + n->describe();
        d.received = *n;
        down(out, std::move(d), true);
        return;
    }
    auto unexpected = [&](std::uint8_t sub) {
        fail(out, errc::fsm, sub, {},
             std::string("unexpected ") + message_name(static_cast<MessageType>(type)) + " in state " +
                 state_name(state_));
    };
    switch (state_) {
        case State::OpenSent:
            if (auto* o = std::get_if<Open>(&msg)) return on_open(out, *o, now);
            return unexpected(errc::unexpected_in_open_sent);
        case State::OpenConfirm:
            if (std::holds_alternative<Keepalive>(msg)) {
                state_ = State::Established;
                ++counters_.established;
                arm_hold(now);
                out.push_back(neg_);
                return;
            }
            return unexpected(errc::unexpected_in_open_confirm);
        case State::Established:
            arm_hold(now);
            if (auto* u = std::get_if<Update>(&msg)) return on_update(out, std::move(*u));
            if (std::holds_alternative<Keepalive>(msg)) return;
            if (std::holds_alternative<RouteRefresh>(msg)) return;  // passive: nothing to re-send
            return unexpected(errc::unexpected_in_established);
        default: return;
    }
}

void Session::on_open(std::vector<Effect>& out, const Open& o, std::int64_t now) {
    PeerCapabilities pc = parse_capabilities(o.capabilities);  // throws BgpError 2/0
    std::uint32_t peer_as = pc.as4 ? *pc.as4 : o.my_as;
    if (cfg_.peer_as != 0 && peer_as != cfg_.peer_as) {
        std::string data;
        data.push_back(static_cast<char>(o.my_as >> 8));
        data.push_back(static_cast<char>(o.my_as & 0xff));
        return fail(out, errc::open, errc::bad_peer_as, data,
                    "peer AS " + std::to_string(peer_as) + ", expected " + std::to_string(cfg_.peer_as));
    }
    if (peer_as == 0) return fail(out, errc::open, errc::bad_peer_as, {}, "peer AS 0");
    if (o.bgp_id == cfg_.router_id && peer_as == cfg_.local_as)
        return fail(out, errc::open, errc::bad_bgp_id, {}, "peer uses our BGP identifier");

    peer_caps_ = pc;
    neg_.peer_as = peer_as;
    neg_.peer_id = o.bgp_id;
    neg_.hold_time = std::min(cfg_.hold_time, o.hold_time);
    neg_.four_octet_as = pc.as4.has_value();
    neg_.route_refresh = pc.route_refresh;
    // Without any MP capability the peer speaks IPv4 unicast only (RFC 4760 §8).
    std::vector<AfiSafi> theirs = pc.multiprotocol ? pc.families : std::vector<AfiSafi>{kIpv4Unicast};
    for (auto f : cfg_.families)
        if (std::find(theirs.begin(), theirs.end(), f) != theirs.end()) neg_.families.push_back(f);

    send(out, encode_keepalive(), MessageType::keepalive);
    state_ = State::OpenConfirm;
    arm_hold(now);
    keepalive_deadline_ =
        neg_.hold_time == 0 ? INT64_MAX : now + std::int64_t{neg_.hold_time} * 1'000'000 / 3;
}

void Session::on_update(std::vector<Effect>& out, Update u) {
    if (auto f = u.end_of_rib()) {
        if (negotiated_family(*f) && !end_of_rib(*f)) eor_.push_back(*f);
        out.push_back(EndOfRib{*f});
        return;
    }
    const auto& a = u.attrs;
    const bool v4 = negotiated_family(kIpv4Unicast);
    RoutesChanged rc;
    auto take = [&](bool ok, const std::vector<Prefix>& from, std::vector<Prefix>& to) {
        if (!ok) {
            counters_.prefixes_ignored += from.size();
            return;
        }
        to.insert(to.end(), from.begin(), from.end());
    };
    take(v4, u.withdrawn, rc.withdrawn);
    if (a.mp_unreach) take(negotiated_family(a.mp_unreach->family), a.mp_unreach->withdrawn, rc.withdrawn);
    if (u.treat_as_withdraw) {
        take(v4, u.nlri, rc.withdrawn);
        if (a.mp_reach) take(negotiated_family(a.mp_reach->family), a.mp_reach->nlri, rc.withdrawn);
        ++counters_.treat_as_withdraw;
        std::string why;
        for (const auto& e : u.errors) why += (why.empty() ? "" : "; ") + e;
        out.push_back(UpdateError{why, true});
    } else {
        if (!u.errors.empty()) {
            counters_.attributes_discarded += u.errors.size();
            std::string why;
            for (const auto& e : u.errors) why += (why.empty() ? "" : "; ") + e;
            out.push_back(UpdateError{why, false});
        }
        const bool ibgp = neg_.peer_as == cfg_.local_as;
        AsPath path = effective_as_path(a, neg_.four_octet_as);
        if (!u.nlri.empty()) {
            if (v4) {
                rc.announced.push_back({make_attributes(a, path, *a.next_hop, std::nullopt, ibgp), u.nlri});
            } else {
                counters_.prefixes_ignored += u.nlri.size();
            }
        }
        if (a.mp_reach && !a.mp_reach->nlri.empty()) {
            const auto& m = *a.mp_reach;
            if (negotiated_family(m.family)) {
                // A peer that only has a link-local address sends :: as the global one.
                Address nh = m.link_local && m.next_hop == Address{Family::v6, {}} ? *m.link_local : m.next_hop;
                rc.announced.push_back({make_attributes(a, path, nh, m.link_local, ibgp), m.nlri});
            } else {
                counters_.prefixes_ignored += m.nlri.size();
            }
        }
    }
    counters_.prefixes_withdrawn += rc.withdrawn.size();
    for (const auto& an : rc.announced) counters_.prefixes_announced += an.prefixes.size();
    if (!rc.empty()) out.push_back(std::move(rc));
}

Attributes make_attributes(const PathAttributes& a, const AsPath& path, const Address& next_hop,
                           const std::optional<Address>& link_local, bool ibgp) {
    Attributes r;
    r.next_hop = next_hop;
    r.next_hop_link_local = link_local;
    for (const auto& s : path) {
        if (s.type == SegmentType::confed_sequence || s.type == SegmentType::confed_set) continue;
        r.as_path.insert(r.as_path.end(), s.asns.begin(), s.asns.end());
        if (s.type == SegmentType::as_set) r.has_as_set = true;
    }
    r.path_len = path_length(path);
    r.origin = a.origin.value_or(Origin::incomplete);
    if (ibgp) r.local_pref = a.local_pref;
    r.med = a.med;
    r.atomic_aggregate = a.atomic_aggregate;
    r.communities = a.communities;
    r.large_communities = a.large_communities;
    return r;
}

// ---- back-off ---------------------------------------------------------------------

Backoff::Backoff(std::function<double()> jitter, std::int64_t initial_us, std::int64_t max_us)
    : jitter_(std::move(jitter)), initial_(initial_us), max_(max_us), base_(initial_us) {
    if (initial_us <= 0 || max_us < initial_us) throw std::invalid_argument("bad back-off bounds");
}

std::int64_t Backoff::next() {
    double factor = 1.0;
    if (jitter_) factor = 0.75 + 0.25 * std::clamp(jitter_(), 0.0, 1.0);
    auto d = static_cast<std::int64_t>(static_cast<double>(base_) * factor);
    base_ = std::min(max_, base_ * 2);
    return d;
}

}  // namespace sr::prox::bgp
