// UPDATE messages: withdrawn routes, path attributes, NLRI.
//
// Error handling per RFC 7606 (revised error handling for UPDATE):
//   session reset (BgpError)     withdrawn-routes or total-attribute length
//                                overrunning the message, a malformed IPv4
//                                withdrawn/NLRI field (3/1, 3/10), a second
//                                MP_REACH/MP_UNREACH (3/1), a malformed
//                                MP_REACH/MP_UNREACH (3/9), an attribute list
//                                whose framing breaks when no NLRI at all is
//                                known (3/1)
//   treat-as-withdraw            attribute framing broken (an attribute
//                                overrunning the list) while some NLRI is
//                                known; ORIGIN, AS_PATH, NEXT_HOP, MED,
//                                LOCAL_PREF, COMMUNITIES, LARGE_COMMUNITIES
//                                malformed or with conflicting flags; an
//                                unrecognized well-known attribute; a missing
//                                ORIGIN or AS_PATH (or NEXT_HOP with IPv4 NLRI)
//   attribute discard            ATOMIC_AGGREGATE, AGGREGATOR, AS4_PATH,
//                                AS4_AGGREGATOR malformed; any duplicate of a
//                                non-MP attribute (the first one counts)
//   ignored                      unknown optional non-transitive attributes,
//                                MP attributes of families other than IPv4
//                                and IPv6 unicast
#include "prox/bgp/bytes.hpp"
#include "prox/bgp/wire.hpp"

#include <bitset>

namespace sr::prox::bgp {

using detail::decode_prefixes;
using detail::encode_prefix;
using detail::put16;
using detail::put32;
using detail::put8;
using detail::Reader;

namespace {

std::optional<AsPath> parse_as_path(std::string_view v, std::size_t width) {
    AsPath p;
    while (!v.empty()) {
        if (v.size() < 2) return std::nullopt;
        auto type = static_cast<std::uint8_t>(v[0]);
        std::size_t n = static_cast<std::uint8_t>(v[1]);
        if (type < 1 || type > 4 || n == 0 || v.size() < 2 + n * width) return std::nullopt;
        AsSegment s;
        s.type = static_cast<SegmentType>(type);
        Reader r(v.substr(2, n * width), errc::update, 0);
        for (std::size_t i = 0; i < n; ++i) s.asns.push_back(width == 4 ? r.u32() : r.u16());
        p.push_back(std::move(s));
        v.remove_prefix(2 + n * width);
    }
    return p;
}

std::uint32_t be32(std::string_view v) {
    Reader r(v, errc::update, 0);
    return r.u32();
}

const char* attr_name(std::uint8_t t) {
    switch (t) {
        case attr::origin: return "ORIGIN";
        case attr::as_path: return "AS_PATH";
        case attr::next_hop: return "NEXT_HOP";
        case attr::med: return "MULTI_EXIT_DISC";
        case attr::local_pref: return "LOCAL_PREF";
        case attr::atomic_aggregate: return "ATOMIC_AGGREGATE";
        case attr::aggregator: return "AGGREGATOR";
        case attr::communities: return "COMMUNITIES";
        case attr::mp_reach: return "MP_REACH_NLRI";
        case attr::mp_unreach: return "MP_UNREACH_NLRI";
        case attr::as4_path: return "AS4_PATH";
        case attr::as4_aggregator: return "AS4_AGGREGATOR";
        case attr::large_communities: return "LARGE_COMMUNITIES";
        default: return "attribute";
    }
}

class AttrParser {
  public:
    AttrParser(Update& u, bool four) : u_(u), four_(four) {}

    void parse(std::string_view a) {
        std::bitset<256> seen;
        while (!a.empty()) {
            auto flags = static_cast<std::uint8_t>(a[0]);
            std::size_t hdr = (flags & attr::extended) ? 4 : 3;
            if (a.size() < hdr) {
                framing("truncated attribute header");
                return;
            }
            auto type = static_cast<std::uint8_t>(a[1]);
            std::size_t len = (flags & attr::extended)
                                  ? (static_cast<std::uint8_t>(a[2]) << 8 | static_cast<std::uint8_t>(a[3]))
                                  : static_cast<std::uint8_t>(a[2]);
            if (a.size() < hdr + len) {
                framing(std::string(attr_name(type)) + " " + std::to_string(type) + " overruns the attribute list");
                return;
            }
            std::string_view value = a.substr(hdr, len);
            a.remove_prefix(hdr + len);
            if (type == attr::mp_reach || type == attr::mp_unreach) {
                if (seen[type])
                    throw BgpError(errc::update, errc::malformed_attribute_list,
                                   std::string("duplicate ") + attr_name(type));
            } else if (seen[type]) {
                note(std::string("duplicate ") + attr_name(type) + " " + std::to_string(type) + " discarded");
                continue;
            }
            seen[type] = true;
            one(static_cast<std::uint8_t>(flags & ~attr::extended), type, value);
        }
    }

    bool framing_broken = false;

  private:
    void note(std::string s) { u_.errors.push_back(std::move(s)); }
    void withdraw(const std::string& why) {
        u_.treat_as_withdraw = true;
        note(why + " (treat-as-withdraw)");
    }
    void framing(const std::string& why) {
        framing_broken = true;
        withdraw(why);
    }
    // Flags must match `want` in the optional and transitive bits.
    static bool flags_ok(std::uint8_t flags, std::uint8_t want) {
        return (flags & (attr::optional | attr::transitive)) == want;
    }

    void one(std::uint8_t flags, std::uint8_t type, std::string_view v) {
        auto& a = u_.attrs;
        const std::string name = attr_name(type);
        constexpr std::uint8_t wk = attr::transitive, opt_tr = attr::optional | attr::transitive;
        switch (type) {
            case attr::origin:
                if (!flags_ok(flags, wk) || v.size() != 1 || static_cast<std::uint8_t>(v[0]) > 2)
                    return withdraw("malformed ORIGIN");
                a.origin = static_cast<Origin>(v[0]);
                return;
            case attr::as_path: {
                auto p = flags_ok(flags, wk) ? parse_as_path(v, four_ ? 4 : 2) : std::nullopt;
                if (!p) return withdraw("malformed AS_PATH");
                a.as_path = std::move(*p);
                return;
            }
            case attr::next_hop:
                if (!flags_ok(flags, wk) || v.size() != 4) return withdraw("malformed NEXT_HOP");
                a.next_hop = Address::v4(be32(v));
                return;
            case attr::med:
                if (!flags_ok(flags, attr::optional) || v.size() != 4) return withdraw("malformed MULTI_EXIT_DISC");
                a.med = be32(v);
                return;
            case attr::local_pref:
                if (!flags_ok(flags, wk) || v.size() != 4) return withdraw("malformed LOCAL_PREF");
                a.local_pref = be32(v);
                return;
            case attr::atomic_aggregate:
                if (!flags_ok(flags, wk) || !v.empty()) return note("malformed ATOMIC_AGGREGATE discarded");
                a.atomic_aggregate = true;
                return;
            case attr::aggregator:
            case attr::as4_aggregator: {
                std::size_t width = (type == attr::aggregator && !four_) ? 2 : 4;
                if (!flags_ok(flags, opt_tr) || v.size() != width + 4) return note("malformed " + name + " discarded");
                Reader r(v, errc::update, 0);
                Aggregator g;
                g.as = width == 4 ? r.u32() : r.u16();
                g.address = r.u32();
                (type == attr::aggregator ? a.aggregator : a.as4_aggregator) = g;
                return;
            }
            case attr::communities:
                if (!flags_ok(flags, opt_tr) || v.empty() || v.size() % 4 != 0)
                    return withdraw("malformed COMMUNITIES");
                for (std::size_t i = 0; i < v.size(); i += 4) a.communities.push_back(be32(v.substr(i, 4)));
                return;
            case attr::large_communities:
                if (!flags_ok(flags, opt_tr) || v.empty() || v.size() % 12 != 0)
                    return withdraw("malformed LARGE_COMMUNITIES");
                for (std::size_t i = 0; i < v.size(); i += 12)
                    a.large_communities.push_back(
                        {be32(v.substr(i, 4)), be32(v.substr(i + 4, 4)), be32(v.substr(i + 8, 4))});
                return;
            case attr::as4_path: {
                auto p = flags_ok(flags, opt_tr) ? parse_as_path(v, 4) : std::nullopt;
                bool confed = false;
                if (p)
                    for (const auto& s : *p)
                        confed |= s.type == SegmentType::confed_sequence || s.type == SegmentType::confed_set;
                if (!p || confed) return note("malformed AS4_PATH discarded");
                a.as4_path = std::move(*p);
                return;
            }
            case attr::mp_reach: return mp_reach(v);
            case attr::mp_unreach: return mp_unreach(v);
            default:
                if (!(flags & attr::optional))
                    return withdraw("unrecognized well-known attribute " + std::to_string(type));
                if (flags & attr::transitive) a.other.push_back({flags, type, std::string(v)});
                return;
        }
    }

    static bool supported(AfiSafi f) { return f == kIpv4Unicast || f == kIpv6Unicast; }

    void mp_reach(std::string_view v) {
        Reader r(v, errc::update, errc::optional_attribute_error);
        MpReach m;
        m.family.afi = r.u16();
        m.family.safi = r.u8();
        std::size_t nhlen = r.u8();
        std::string_view nh = r.take(nhlen);
        r.u8();  // reserved (formerly the number of SNPAs)
        if (!supported(m.family)) return;
        Family f = detail::family_of(m.family.afi);
        if (f == Family::v4) {
            if (nhlen != 4) throw BgpError(errc::update, errc::optional_attribute_error, "MP_REACH next hop length");
            m.next_hop = Address::v4(be32(nh));
        } else {
            if (nhlen != 16 && nhlen != 32)
                throw BgpError(errc::update, errc::optional_attribute_error, "MP_REACH next hop length");
            m.next_hop.family = Family::v6;
            for (std::size_t i = 0; i < 16; ++i) m.next_hop.bytes[i] = static_cast<std::uint8_t>(nh[i]);
            if (nhlen == 32) {
                Address ll;
                ll.family = Family::v6;
                for (std::size_t i = 0; i < 16; ++i) ll.bytes[i] = static_cast<std::uint8_t>(nh[16 + i]);
                m.link_local = ll;
            }
        }
        decode_prefixes(r.rest(), f, m.nlri, errc::update, errc::optional_attribute_error);
        u_.attrs.mp_reach = std::move(m);
    }

    void mp_unreach(std::string_view v) {
        Reader r(v, errc::update, errc::optional_attribute_error);
        MpUnreach m;
        m.family.afi = r.u16();
        m.family.safi = r.u8();
        if (!supported(m.family)) return;
        decode_prefixes(r.rest(), detail::family_of(m.family.afi), m.withdrawn, errc::update,
                        errc::optional_attribute_error);
        u_.attrs.mp_unreach = std::move(m);
    }

    Update& u_;
    bool four_;
};

void add_attr(std::string& o, std::uint8_t flags, std::uint8_t type, const std::string& v) {
    flags = static_cast<std::uint8_t>(flags & ~attr::extended);
    if (v.size() > 255) flags |= attr::extended;
    put8(o, flags);
    put8(o, type);
    if (v.size() > 255)
        put16(o, static_cast<std::uint32_t>(v.size()));
    else
        put8(o, static_cast<std::uint32_t>(v.size()));
    o += v;
}

std::string encode_as_path(const AsPath& p, bool four) {
    std::string v;
    for (const auto& s : p) {
        // A segment holds at most 255 ASNs: split longer ones.
        for (std::size_t i = 0; i < s.asns.size() || (i == 0 && s.asns.empty()); i += 255) {
            std::size_t n = std::min<std::size_t>(255, s.asns.size() - i);
            put8(v, static_cast<std::uint8_t>(s.type));
            put8(v, static_cast<std::uint32_t>(n));
            for (std::size_t k = 0; k < n; ++k) {
                std::uint32_t as = s.asns[i + k];
                if (four)
                    put32(v, as);
                else
                    put16(v, as > 0xffff ? kAsTrans : as);
            }
            if (s.asns.empty()) break;
        }
    }
    return v;
}

void put_address(std::string& o, const Address& a) {
    o.append(reinterpret_cast<const char*>(a.bytes.data()), a.family == Family::v4 ? 4 : 16);
}

}  // namespace

Update decode_update(std::string_view body, bool four_octet_as) {
    Reader r(body, errc::update, errc::malformed_attribute_list);
    Update u;
    std::size_t wlen = r.u16();
    if (wlen > r.left()) throw BgpError(errc::update, errc::malformed_attribute_list, "withdrawn length overruns");
    std::string_view withdrawn = r.take(wlen);
    std::size_t alen = r.u16();
    if (alen > r.left()) throw BgpError(errc::update, errc::malformed_attribute_list, "attribute length overruns");
    std::string_view attrs = r.take(alen);
    std::string_view nlri = r.rest();
    decode_prefixes(withdrawn, Family::v4, u.withdrawn, errc::update, errc::malformed_attribute_list);
    decode_prefixes(nlri, Family::v4, u.nlri, errc::update, errc::invalid_network_field);

    AttrParser p(u, four_octet_as);
    p.parse(attrs);
    const auto& a = u.attrs;
    if (p.framing_broken && !a.mp_reach && !a.mp_unreach && u.nlri.empty() && u.withdrawn.empty())
        throw BgpError(errc::update, errc::malformed_attribute_list, "malformed attribute list");
    bool reach = !u.nlri.empty() || (a.mp_reach && !a.mp_reach->nlri.empty());
    if (reach && !u.treat_as_withdraw) {
        if (!a.origin) u.treat_as_withdraw = true, u.errors.push_back("missing ORIGIN (treat-as-withdraw)");
        if (!a.as_path) u.treat_as_withdraw = true, u.errors.push_back("missing AS_PATH (treat-as-withdraw)");
        if (!u.nlri.empty() && !a.next_hop)
            u.treat_as_withdraw = true, u.errors.push_back("missing NEXT_HOP (treat-as-withdraw)");
    }
    return u;
}

std::string encode_update_body(const Update& u, bool four) {
    std::string w, at, n;
    for (const auto& p : u.withdrawn) encode_prefix(w, p);
    for (const auto& p : u.nlri) encode_prefix(n, p);
    const auto& a = u.attrs;
    constexpr std::uint8_t wk = attr::transitive, opt_tr = attr::optional | attr::transitive;
    auto u32s = [](std::uint32_t x) {
        std::string s;
        put32(s, x);
        return s;
    };
    if (a.origin) add_attr(at, wk, attr::origin, std::string(1, static_cast<char>(*a.origin)));
    if (a.as_path) add_attr(at, wk, attr::as_path, encode_as_path(*a.as_path, four));
    if (a.next_hop) {
        std::string v;
        put_address(v, *a.next_hop);
        add_attr(at, wk, attr::next_hop, v.substr(0, 4));
    }
    if (a.med) add_attr(at, attr::optional, attr::med, u32s(*a.med));
    if (a.local_pref) add_attr(at, wk, attr::local_pref, u32s(*a.local_pref));
    if (a.atomic_aggregate) add_attr(at, wk, attr::atomic_aggregate, {});
    auto aggregator = [&](std::uint8_t type, const Aggregator& g, bool wide) {
        std::string v;
        if (wide)
            put32(v, g.as);
        else
            put16(v, g.as > 0xffff ? kAsTrans : g.as);
        put32(v, g.address);
        add_attr(at, opt_tr, type, v);
    };
    if (a.aggregator) aggregator(attr::aggregator, *a.aggregator, four);
    if (!a.communities.empty()) {
        std::string v;
        for (auto c : a.communities) put32(v, c);
        add_attr(at, opt_tr, attr::communities, v);
    }
    if (a.mp_reach) {
        const auto& m = *a.mp_reach;
        std::string v;
        put16(v, m.family.afi);
        put8(v, m.family.safi);
        std::string nh;
        put_address(nh, m.next_hop);
        if (m.link_local) put_address(nh, *m.link_local);
        put8(v, static_cast<std::uint32_t>(nh.size()));
        v += nh;
        put8(v, 0);
        for (const auto& p : m.nlri) encode_prefix(v, p);
        add_attr(at, attr::optional, attr::mp_reach, v);
    }
    if (a.mp_unreach) {
        std::string v;
        put16(v, a.mp_unreach->family.afi);
        put8(v, a.mp_unreach->family.safi);
        for (const auto& p : a.mp_unreach->withdrawn) encode_prefix(v, p);
        add_attr(at, attr::optional, attr::mp_unreach, v);
    }
    if (a.as4_path) add_attr(at, opt_tr, attr::as4_path, encode_as_path(*a.as4_path, true));
    if (a.as4_aggregator) aggregator(attr::as4_aggregator, *a.as4_aggregator, true);
    if (!a.large_communities.empty()) {
        std::string v;
        for (const auto& c : a.large_communities) {
            put32(v, c.global);
            put32(v, c.local1);
            put32(v, c.local2);
        }
        add_attr(at, opt_tr, attr::large_communities, v);
    }
    for (const auto& o : a.other) add_attr(at, o.flags, o.type, o.value);

    std::string b;
    put16(b, static_cast<std::uint32_t>(w.size()));
    b += w;
    put16(b, static_cast<std::uint32_t>(at.size()));
    b += at;
    b += n;
    return b;
}

std::optional<AfiSafi> Update::end_of_rib() const {
    if (treat_as_withdraw || !withdrawn.empty() || !nlri.empty()) return std::nullopt;
    if (attrs == PathAttributes{}) return kIpv4Unicast;
    PathAttributes only_unreach;
    only_unreach.mp_unreach = attrs.mp_unreach;
    if (attrs.mp_unreach && attrs.mp_unreach->withdrawn.empty() && attrs == only_unreach)
        return attrs.mp_unreach->family;
    return std::nullopt;
}

std::uint32_t path_length(const AsPath& path) {
    std::uint32_t n = 0;
    for (const auto& s : path) {
        if (s.type == SegmentType::as_sequence)
            n += static_cast<std::uint32_t>(s.asns.size());
        else if (s.type == SegmentType::as_set)
            n += 1;
    }
    return n;
}

AsPath effective_as_path(const PathAttributes& a, bool four_octet_session) {
    if (!a.as_path) return {};
    if (four_octet_session || !a.as4_path) return *a.as_path;
    std::uint32_t n = path_length(*a.as_path), n4 = path_length(*a.as4_path);
    if (n < n4) return *a.as_path;
    std::uint32_t need = n - n4;  // leading ASes kept from AS_PATH
    AsPath out;
    for (const auto& s : *a.as_path) {
        if (need == 0) break;
        if (s.type == SegmentType::as_sequence) {
            std::size_t k = std::min<std::size_t>(need, s.asns.size());
            out.push_back({s.type, std::vector<std::uint32_t>(s.asns.begin(), s.asns.begin() + k)});
            need -= static_cast<std::uint32_t>(k);
        } else {
            out.push_back(s);
            if (s.type == SegmentType::as_set) need -= 1;
        }
    }
    for (const auto& s : *a.as4_path) {
        if (!out.empty() && out.back().type == SegmentType::as_sequence && s.type == SegmentType::as_sequence)
            out.back().asns.insert(out.back().asns.end(), s.asns.begin(), s.asns.end());
        else
            out.push_back(s);
    }
    return out;
}

}  // namespace sr::prox::bgp
