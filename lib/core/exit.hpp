// Exit statuses of the client tools (sysexits, DESIGN §5) and the mapping
// from RPC error codes (the registry in sr-rpc(7)) to them.
#pragma once

#include <string_view>

namespace sr {

enum Exit : int {
    exit_ok = 0,
    exit_no_result = 1,   // like grep: nothing found
    exit_usage = 64,
    exit_data = 65,       // bad input data
    exit_unavailable = 69,
    exit_software = 70,   // internal error
    exit_io = 74,
    exit_tempfail = 75,   // timeout, over quota, try later
    exit_protocol = 76,
    exit_noperm = 77,
    exit_config = 78,
};

int exit_for_error_code(std::string_view code);

}  // namespace sr
