// What the client tools (sr-lookup, sr-ctl) share: their common options,
// the way they read operands (arguments, else one per line from stdin), and
// one place that turns failures into a one-line message and an exit status.
#pragma once

#include "core/client.hpp"
#include "core/output.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace sr {

// A number of at least `min`, refused in words ("must be at least 1"),
// where CLI11's own checks print their range's far end (1.8e308).
CLI::Validator at_least(double min);

struct ClientOptions {
    std::string runtime_dir;
    bool json = false;
    bool header = false;
    int timeout_ms = 10'000;

    OutputOptions output() const { return {json, header}; }
    std::string socket_for(const std::string& daemon) const {
        return socket_path(checked_runtime_dir(runtime_dir), daemon);
    }
};

void add_client_options(CLI::App& app, ClientOptions& o);

// Parses argv and runs body, mapping failures to exit statuses: CLI11 usage
// errors to 64, ClientError to its own, sr::Error to its code's, anything
// else to 70; each with "PROG: message" on stderr.
int run_client(CLI::App& app, int argc, char** argv, const std::function<int()>& body);

// A subcommand and what it does once parsed; each area (dht, prox, ...)
// adds its own to a tool's command line.
struct Command {
    CLI::App* sub;
    std::function<int()> run;
};
using Commands = std::vector<Command>;
// Runs the parsed subcommand (CLI11's require_subcommand makes one present).
int run_parsed(const Commands& commands);

// The operands: the given ones, or else each line of stdin (trailing \r
// removed, empty lines skipped), handed to fn one at a time as they come.
void for_each_operand(const std::vector<std::string>& given, const std::function<void(const std::string&)>& fn);

// All of stdin, for a value given through a pipe.
std::string read_stdin();

}  // namespace sr
