// sr-proxd's OSPFv2 decoder (issue 12): any IP payload a neighbour, or
// anyone on the link, sends to protocol 89. Decoded without authentication
// and with MD5 (both may refuse: OspfError); each LSA of an LS Update
// decoded too. What decodes must encode back to what decodes the same.
#include "prox/ospf/wire.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ospf = sr::prox::ospf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    for (const auto& auth : {ospf::Auth{}, ospf::Auth{ospf::Auth::Kind::md5, "md5key", 1}}) {
        try {
            ospf::Packet p = ospf::decode(in, auth);
            ospf::Packet again = ospf::decode(ospf::encode(p, auth, p.crypto_sequence), auth);
            if (!(again == p)) __builtin_trap();
            if (const auto* u = std::get_if<ospf::LsUpdate>(&p.body))
                for (const auto& bytes : u->lsas) {
                    try {
                        ospf::Lsa lsa = ospf::decode_lsa(bytes);
                        if (!(ospf::decode_lsa(ospf::encode_lsa(lsa)).body == lsa.body)) __builtin_trap();
                    } catch (const ospf::OspfError&) {
                    }
                }
        } catch (const ospf::OspfError&) {
        }
    }
    return 0;
}
