// sr-lookup's proximity commands (sr-lookup(1)), answered by sr-proxd:
//   rank --from ADDR [CANDIDATE...]   candidates nearest first: address<TAB>cost
//   cost A B                          the cost between two addresses
//   pid ADDR...                       the router (PID) an address belongs to
#pragma once

#include "core/cli.hpp"

namespace sr::prox {

void add_lookup_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);

}  // namespace sr::prox
