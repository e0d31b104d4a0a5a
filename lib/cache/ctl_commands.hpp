// sr-ctl's cache and service commands (sr-ctl(8)), and sr-lookup's resolve
// (sr-lookup(1)): thin clients of sr-cached's cache.* and service.* methods.
#pragma once

#include "core/cli.hpp"

namespace sr::cache {

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);
void add_lookup_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);

}  // namespace sr::cache
