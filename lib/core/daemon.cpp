#include "core/daemon.hpp"

#include "core/cli.hpp"
#include "core/config_file.hpp"
#include "core/client.hpp"
#include "core/error.hpp"
#include "core/http_listen.hpp"
#include "core/log.hpp"
#include "core/runtime_dir.hpp"

#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

namespace sr {

void add_daemon_options(CLI::App& app, DaemonOptions& o, const std::string& daemon) {
    app.set_config("-c,--config", "", "Read options from this file (TOML or INI: key = value)");
    app.allow_config_extras(false);  // a misspelt option in the file is an error, not ignored
    app.set_version_flag("-V,--version", std::string("sr-") + daemon + " " + SR_VERSION);
    app.add_flag("-n,--check", o.check, "Validate the configuration, print it and exit");
    app.add_flag("-v,--verbose", o.verbose, "Log more (debug)");
    app.add_flag("-q,--quiet", o.quiet, "Log only warnings and errors");
    app.add_option("--runtime-dir", o.runtime_dir,
                   "Directory of the control sockets (owned by this user or root, writable by no one else)")
        ->envname("SR_RUNTIME_DIR");
    app.add_option("--socket", o.socket, "Control socket path (default RUNTIME_DIR/" + daemon +
                                                ".sock; only a stale socket there is replaced)");
    app.add_option("--state-dir", o.state_dir, "Directory for persistent state")->envname("SR_STATE_DIR");
    app.add_option("--ready-fd", o.ready_fd, "Write a newline to this fd when ready, then close it")
        ->check(sr::at_least(0));
    app.add_option("--log-format", o.log_format,
                   "text: timestamped lines (priority prefixes under journald); json: one JSON object a line")
        ->check(CLI::IsMember({"text", "json"}));
    // The style applies from the parse on, so that a configuration error
    // from main() is stamped too.
    app.parse_complete_callback(
        [&o] { log::set_daemon_style(o.log_format == "json" ? log::Format::json : log::Format::text); });
    app.add_option("--metrics-listen", o.metrics_listen,
                   "Serve the counters to Prometheus at http://ADDR:PORT/metrics (OpenMetrics or text format; "
                   "unauthenticated: a management address)");
    app.add_option("--group", o.group,
                   "Members of this group (effective or supplementary) may call mutating methods; "
                   "the socket (and a runtime directory the daemon creates) belong to it");
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, std::ostream& err) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::CallForVersion&) {
        std::cout << app.version() << "\n";
        return 0;
    } catch (const CLI::FileError& e) {  // the -c file: a configuration error, naming it
        err << app.get_name() << ": " << e.what() << "\n";
        return 78;
    } catch (const CLI::ParseError& e) {
        // A fault in the -c file is a configuration error (78), named by
        // file and line; CLI11's own message names neither.
        if (const CLI::Option* file = app.get_config_ptr(); file && file->count() > 0) {
            std::vector<std::string> args(argv + 1, argv + argc);
            if (auto problem = config_file_problem(app, file->as<std::string>(), e.what(), args)) {
                err << app.get_name() << ": " << *problem << "\n";
                return 78;
            }
        }
        err << app.get_name() << ": " << e.what() << "\n"
                  << "Run with --help for usage.\n";
        return 64;
    }
    // An address a start would refuse is a configuration error, for -n too.
    if (const CLI::Option* metrics = app.get_option_no_throw("--metrics-listen"); metrics && metrics->count() > 0) {
        try {
            parse_listen(metrics->as<std::string>());
        } catch (const Error& e) {
            err << app.get_name() << ": --metrics-listen: " << e.what() << "\n";
            return 78;
        }
    }
    return std::nullopt;
}

std::string config_text(const CLI::App& app) {
    std::istringstream in(app.config_to_str(true, false));
    std::string out, line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq != std::string::npos && (line.compare(eq, std::string::npos, "=\"\"") == 0 || line.rfind("check=", 0) == 0))
            continue;
        out += line + "\n";
    }
    return out;
}

void make_directory(const std::string& dir, unsigned mode) {
    std::string path;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = dir.find('/', pos + 1);
        path = dir.substr(0, pos);
        if (path.empty()) continue;
        if (::mkdir(path.c_str(), pos == std::string::npos ? mode : 0755) != 0 && errno != EEXIST)
            throw Error("config", "cannot create directory " + path + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw Error("config", dir + " is not a directory");
}

Daemon::Daemon(std::string name, const DaemonOptions& opts)
    : name_(std::move(name)), opts_(opts), registry_("sr-" + name_, counters_), server_(loop_, registry_, counters_) {
    log::set_program("sr-" + name_);
    set_log_level(opts);
    ::signal(SIGPIPE, SIG_IGN);
    if (!opts.group.empty()) {
        group* g = ::getgrnam(opts.group.c_str());
        if (!g) throw Error("config", "no such group: " + opts.group);
        group_ = g->gr_gid;
        registry_.allow_group(g->gr_gid);
    }
    RuntimeDir dir = find_runtime_dir(opts.runtime_dir);
    prepare_runtime_dir(dir, group_);  // refuses a directory another user squatted
    runtime_dir_ = dir.path;
    socket_path_ = opts.socket.empty() ? socket_path(runtime_dir_, name_) : opts.socket;
    registry_.stats_source([this] { return server_.gauges(); });
    auto stop = [this] {
        if (stopping_) {
            log::warn("second stop signal: exiting now");
            std::_Exit(1);
        }
        stopping_ = true;
        log::info("stopping");
        sd_notify("STOPPING=1");
        if (on_stop) on_stop();
        else finish_stop();
    };
    sigterm_ = std::make_unique<SignalWatch>(loop_, SIGTERM, stop);
    sigint_ = std::make_unique<SignalWatch>(loop_, SIGINT, stop);
    sighup_ = std::make_unique<SignalWatch>(loop_, SIGHUP, [this] {
        log::info("reloading on SIGHUP");
        reload();
    });
    registry_.add_sync("sys.reload",
                       "Read the command line and the -c file again and apply them, as SIGHUP does; "
                       "a configuration that does not apply is the error (config), the running one staying.",
                       {}, true, [this](const Value&, rpc::Call&) {
                           if (auto why = reload()) throw Error("config", *why);
                           return Value{{"reloaded", true}};
                       });
}

std::optional<std::string> Daemon::reload() {
    if (!on_reload) return "this daemon has nothing to reload";
    try {
        on_reload();
        log::info("configuration reloaded");
        return std::nullopt;
    } catch (const std::exception& e) {  // sr::Error, or anything else apply() throws: never from a signal
        log::error("reload failed, keeping the running configuration: ", e.what());
        return e.what();
    }
}

Daemon::~Daemon() { server_.close(); }

void Daemon::set_log_level(const DaemonOptions& opts) {
    log::set_level(opts.quiet ? log::Level::warn : opts.verbose ? log::Level::debug : log::Level::info);
}

void Daemon::listen() {
    server_.listen(socket_path_);
    // The socket is 0660: the group that may use it is --group's.
    if (group_ && ::chown(socket_path_.c_str(), static_cast<uid_t>(-1), *group_) != 0)
        throw Error("config", "cannot give control socket " + socket_path_ + " to group " + opts_.group + ": " +
                                  std::strerror(errno));
    log::info("control socket ", socket_path_);
    if (!opts_.metrics_listen.empty()) {
        metrics_ = std::make_unique<MetricsServer>(loop_, opts_.metrics_listen, "sr-" + name_,
                                                   [this] { return registry_.stats(); });
        registry_.stats_source([this] {
            return Value{{"metrics.scrapes", metrics_->scrapes()},
                         {"metrics.connections_refused", metrics_->connections().refused},
                         {"metrics.connections_timed_out", metrics_->connections().timed_out}};
        });
    }
}

void Daemon::ready(const std::string& status_line) {
    if (opts_.ready_fd >= 0) {
        // s6 convention: a newline, then close.
        (void)!::write(opts_.ready_fd, "\n", 1);
        ::close(opts_.ready_fd);
        opts_.ready_fd = -1;
    }
    sd_notify("READY=1" + (status_line.empty() ? "" : "\nSTATUS=" + status_line));
}

void Daemon::status(const std::string& line) { sd_notify("STATUS=" + line); }

void Daemon::sd_notify(const std::string& msg) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path) return;
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::size_t len = std::strlen(path);
    if (len >= sizeof sun.sun_path) return;
    std::memcpy(sun.sun_path, path, len);
    if (sun.sun_path[0] == '@') sun.sun_path[0] = '\0';  // abstract namespace
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    ::sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sun),
             static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
    ::close(fd);
}

void Daemon::run() { loop_.run(); }

void Daemon::finish_stop() {
    server_.close();
    loop_.stop();
}

}  // namespace sr
