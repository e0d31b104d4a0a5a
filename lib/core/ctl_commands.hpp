// sr-ctl's daemon-independent commands (sr-ctl(8)):
//   status [--all [DIR...]]      every daemon with a socket in the runtime dir (or in several)
//   reload DAEMON                sys.reload: read the configuration again, as SIGHUP
//   call DAEMON METHOD [JSON]    any RPC method, JSON in and out
//   stats [DAEMON...]            counters; --openmetrics, --prometheus, -i (stats_command.hpp)
#pragma once

#include "core/cli.hpp"

namespace sr {

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);

// The socket of DAEMON: a path when it contains '/', else "dhtd", "sr-dhtd"
// or "dht" all name RUNTIME_DIR/dhtd.sock.
std::string daemon_socket(const ClientOptions& opts, const std::string& daemon);

// The control sockets (*.sock) in a runtime directory, sorted. Throws
// ClientError 77 when dir may not be read (as sr-lookup says when it
// cannot connect).
std::vector<std::string> daemon_sockets(const std::string& dir);

}  // namespace sr
