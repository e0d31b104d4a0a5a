#include "core/exit.hpp"

#include <map>
#include <string>

namespace sr {

int exit_for_error_code(std::string_view code) {
    static const std::map<std::string, int, std::less<>> table = {
        {"not_found", exit_no_result},   {"invalid_params", exit_data}, {"too_large", exit_data},
        {"bad_ttl", exit_data},          {"invalid", exit_data},        {"unknown_method", exit_protocol},
        {"invalid_request", exit_protocol}, {"bad_frame", exit_protocol}, {"protocol", exit_protocol},
        {"permission", exit_noperm},     {"forbidden", exit_noperm},    {"unavailable", exit_unavailable},
        {"not_ready", exit_tempfail},    {"timeout", exit_tempfail},    {"over_quota", exit_tempfail},
        {"busy", exit_tempfail},         {"config", exit_config},        {"io", exit_io},       {"internal", exit_software},
    };
    auto it = table.find(code);
    return it == table.end() ? exit_software : it->second;
}

}  // namespace sr
