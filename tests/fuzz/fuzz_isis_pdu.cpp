// sr-proxd's IS-IS decoder (issue 12): any frame payload after the LLC
// header that a neighbour, or anyone on the link, sends. Decoded without
// authentication and with HMAC-MD5 (both may refuse: IsisError). What
// decodes must encode to what decodes the same (an LSP's checksum aside).
#include "prox/isis/wire.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace isis = sr::prox::isis;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    for (const auto& auth : {isis::Auth{}, isis::Auth{isis::Auth::Kind::hmac_md5, "areakey"}}) {
        try {
            isis::Pdu p = isis::decode(in, auth);
            isis::Pdu again = isis::decode(isis::encode(p, auth), auth);
            if (auto* l = std::get_if<isis::Lsp>(&again)) l->checksum = std::get<isis::Lsp>(p).checksum;
            if (!(again == p)) __builtin_trap();
        } catch (const isis::IsisError&) {
        }
    }
    return 0;
}
