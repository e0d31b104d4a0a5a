// What every sr daemon shares (DESIGN §4): its common options, the runtime
// directory and control socket, readiness notification, and signals.
//
//   DaemonOptions + add_daemon_options()  -c -n -V -v -q --runtime-dir
//                                          --socket --state-dir --ready-fd --group
//                                          --metrics-listen --log-format
//   parse_command_line()                   CLI11 with its errors mapped to 64 (a fault in the -c file: 78,
//                                          named by file and line)
//   Daemon                                 loop, counters, registry, server;
//                                          SIGTERM/SIGINT -> on_stop, SIGHUP -> on_reload,
//                                          ready() -> newline on --ready-fd and
//                                          READY=1 to $NOTIFY_SOCKET
#pragma once

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/loop.hpp"
#include "core/metrics_http.hpp"
#include "core/rpc.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

namespace sr {

struct DaemonOptions {
    bool check = false;
    std::string runtime_dir;
    std::string socket;
    std::string state_dir;
    int ready_fd = -1;
    std::string metrics_listen;  // ADDR:PORT of the Prometheus endpoint, or empty
    std::string log_format = "text";  // or "json"
    int verbose = 0;
    bool quiet = false;
    std::string group;
};

void add_daemon_options(CLI::App& app, DaemonOptions& opts, const std::string& daemon);

// Parses argv. Returns an exit status to end with (0 after --help or
// --version, 64 on a usage error, with CLI11's message on stderr; 78 for
// an unreadable -c file or a fault in it, named by file and line), or
// nullopt to go on.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, std::ostream& err = std::cerr);

// What -n prints: the effective configuration as a -c file reads it back,
// one name=value a line; options left empty (no value, no default) and -n
// itself are left out, as the file parser refuses an empty value.
std::string config_text(const CLI::App& app);

// Creates dir and its parents (mode 0750 for the last). Throws Error("config").
void make_directory(const std::string& dir, unsigned mode = 0750);

class Daemon {
  public:
    // name: "dhtd", "proxd", ... (the socket is RUNTIME_DIR/NAME.sock).
    Daemon(std::string name, const DaemonOptions& opts);
    ~Daemon();

    Loop& loop() { return loop_; }
    rpc::Counters& counters() { return counters_; }
    rpc::Registry& registry() { return registry_; }
    const std::string& runtime_dir() const { return runtime_dir_; }
    const std::string& socket() const { return socket_path_; }

    std::function<void()> on_stop;    // SIGTERM/SIGINT: finish, persist, then call finish_stop()
    // SIGHUP and sys.reload: read the configuration again and apply it;
    // throws Error (config) when it does not, the running one staying.
    std::function<void()> on_reload;

    void set_log_level(const DaemonOptions& opts);  // -v / -q, also on reload
    void listen();                    // bind the control socket (and --metrics-listen)
    void ready(const std::string& status = "");
    void status(const std::string& status);
    void run();                       // the loop, until the daemon stops
    void finish_stop();               // close the socket and leave run()
    // Runs on_reload: nullopt when the new configuration applies, else why not (logged).
    std::optional<std::string> reload();

  private:
    void sd_notify(const std::string& msg);

    std::string name_;
    DaemonOptions opts_;
    Loop loop_;
    rpc::Counters counters_;
    rpc::Registry registry_;
    rpc::Server server_;
    std::string runtime_dir_;
    std::string socket_path_;
    std::optional<gid_t> group_;
    std::unique_ptr<SignalWatch> sigterm_, sigint_, sighup_;
    std::unique_ptr<MetricsServer> metrics_;
    bool stopping_ = false;
};

// SIGHUP (and sys.reload) for a daemon whose configuration is its command
// line and the -c file it names: argv is parsed again into a fresh
// CommandLine (a struct with parse() and `common`), -v/-q apply, and apply()
// takes the rest. A command line that no longer parses, or an Error from
// apply(), is an Error (config): logged on SIGHUP, the answer of sys.reload,
// and the running configuration stays.
template <class CommandLine>
void reload_on_hup(Daemon& daemon, int argc, char** argv, std::function<void(CommandLine&)> apply) {
    daemon.on_reload = [&daemon, argc, argv, apply] {
        CommandLine fresh;
        std::ostringstream why;  // CLI11's message, or the -c file's line at fault
        if (fresh.parse(argc, argv, why)) {
            std::string text = why.str();
            if (auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
            if (std::string prog = fresh.app.get_name() + ": "; text.rfind(prog, 0) == 0) text.erase(0, prog.size());
            throw Error("config", text.empty() ? "the command line no longer parses" : text);
        }
        daemon.set_log_level(fresh.common);
        apply(fresh);
    };
}

}  // namespace sr
