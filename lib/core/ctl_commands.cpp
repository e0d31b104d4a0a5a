#include "core/ctl_commands.hpp"

#include "core/error.hpp"
#include "core/exit.hpp"
#include "core/runtime_dir.hpp"
#include "core/stats_command.hpp"

#include <dirent.h>
#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <iostream>
#include <memory>

namespace sr {

std::string daemon_socket(const ClientOptions& opts, const std::string& daemon) {
    if (daemon.find('/') != std::string::npos) return daemon;
    std::string name = daemon;
    if (name.rfind("sr-", 0) == 0) name = name.substr(3);
    if (name.empty()) throw ClientError(exit_usage, "", "empty daemon name");
    if (name.back() != 'd') name += 'd';
    static const std::vector<std::string> known = {"dhtd", "proxd", "cached", "streamd", "eventd"};
    if (std::find(known.begin(), known.end(), name) == known.end())
        throw ClientError(exit_usage, "",
                          "unknown daemon '" + daemon + "' (dhtd, proxd, cached, streamd, eventd, or a socket path)");
    return opts.socket_for(name);
}

std::vector<std::string> daemon_sockets(const std::string& dir) {
    std::vector<std::string> sockets;
    DIR* d = opendir(dir.c_str());
    if (!d && (errno == EACCES || errno == EPERM))
        throw ClientError(exit_noperm, "", "cannot read " + dir + ": Permission denied");
    if (d) {
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 5 && n.compare(n.size() - 5, 5, ".sock") == 0) sockets.push_back(dir + "/" + n);
        }
        closedir(d);
    }
    std::sort(sockets.begin(), sockets.end());
    return sockets;
}

namespace {

// The runtime directories of `status --all`: each pattern (a glob, as the
// shell would expand it) or, without patterns, each ':'-separated entry of
// --runtime-dir or $SR_RUNTIME_DIR, else the default runtime directory.
std::vector<std::string> runtime_dirs(const std::vector<std::string>& patterns, const ClientOptions& opts) {
    std::vector<std::string> from = patterns;
    if (from.empty()) {
        const std::string& list = opts.runtime_dir;  // CLI11 fills it from $SR_RUNTIME_DIR
        for (std::size_t at = 0; at <= list.size();) {
            std::size_t colon = std::min(list.find(':', at), list.size());
            if (colon > at) from.push_back(list.substr(at, colon - at));
            at = colon + 1;
        }
    }
    if (from.empty()) return {find_runtime_dir("").path};
    std::vector<std::string> dirs;
    for (const auto& pattern : from) {
        glob_t g{};
        if (::glob(pattern.c_str(), GLOB_ONLYDIR | GLOB_NOCHECK, nullptr, &g) == 0)
            for (std::size_t i = 0; i < g.gl_pathc; ++i) dirs.emplace_back(g.gl_pathv[i]);
        ::globfree(&g);
    }
    std::sort(dirs.begin(), dirs.end());
    dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
    return dirs;
}

// One row per daemon socket: 0, or 69 when a daemon did not answer.
int status_of(const std::vector<std::string>& sockets, const ClientOptions& opts, Output& out) {
    int status = exit_ok;
    for (const auto& path : sockets) {
        try {
            Client c(path, opts.timeout_ms);
            Value v = c.call("sys.status");
            v["socket"] = path;
            v.erase("detail");
            out.row(v);
        } catch (const ClientError& e) {
            std::string file = path.substr(path.find_last_of('/') + 1);
            out.row({{"name", "sr-" + file.substr(0, file.size() - 5)}, {"health", "unreachable"}, {"socket", path},
                     {"error", e.what()}});
            status = exit_unavailable;
        }
    }
    return status;
}

}  // namespace

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    {
        auto* sub = app.add_subcommand("status", "Show every daemon found in the runtime directory (--all: in several)");
        auto all = std::make_shared<bool>(false);
        auto patterns = std::make_shared<std::vector<std::string>>();
        sub->add_flag("-a,--all", *all,
                      "Every runtime directory named by DIR operands, else by $SR_RUNTIME_DIR (DIR:DIR:..., globs allowed)");
        sub->add_option("DIR", *patterns, "With --all: runtime directories or glob patterns ('/srv/lab/*/run')");
        commands.push_back({sub, [&opts, all, patterns] {
            if (!patterns->empty() && !*all) throw ClientError(exit_usage, "", "runtime directories as operands need --all");
            // security: what guards the daemon's peers (sr-dhtd: overlay key or open; sr-cached: cooperation mode)
            Output out(opts.output(), {"name", "pid", "version", "uptime_s", "health", "socket", "security"});
            if (!*all) {
                std::string dir = checked_runtime_dir(opts.runtime_dir);
                auto sockets = daemon_sockets(dir);
                if (sockets.empty())
                    throw ClientError(exit_unavailable, "", "no daemon sockets in " + dir + " (set --runtime-dir or SR_RUNTIME_DIR)");
                return status_of(sockets, opts, out);
            }
            int status = exit_ok;
            std::size_t found = 0;
            for (const auto& dir : runtime_dirs(*patterns, opts)) {
                try {
                    check_runtime_dir_for_client(find_runtime_dir(dir));
                    auto sockets = daemon_sockets(dir);
                    found += sockets.size();
                    status = std::max(status, status_of(sockets, opts, out));
                } catch (const Error& e) {  // unsafe or unreadable: said in its row, the others still shown
                    out.row({{"health", "unreachable"}, {"socket", dir}, {"error", e.what()}});
                    status = exit_unavailable;
                } catch (const ClientError& e) {
                    out.row({{"health", "unreachable"}, {"socket", dir}, {"error", e.what()}});
                    status = exit_unavailable;
                }
            }
            if (found == 0 && status == exit_ok) throw ClientError(exit_unavailable, "", "no daemon sockets in any runtime directory");
            return status;
        }});
    }
    {
        auto* sub = app.add_subcommand("reload", "Make a daemon read its configuration again (as SIGHUP), through its socket");
        auto daemon = std::make_shared<std::string>();
        sub->add_option("DAEMON", *daemon, "dhtd, proxd, cached, streamd, eventd, or a socket path")->required();
        commands.push_back({sub, [=, &opts] {
            Client c(daemon_socket(opts, *daemon), opts.timeout_ms);
            Value r = c.call("sys.reload");
            Output out(opts.output(), {"reloaded"});
            out.row(r);
            return exit_ok;
        }});
    }
    {
        auto* sub = app.add_subcommand("call", "Call any RPC method: JSON params in, JSON result out");
        auto daemon = std::make_shared<std::string>();
        auto method = std::make_shared<std::string>();
        auto json = std::make_shared<std::string>();
        sub->add_option("DAEMON", *daemon, "dhtd, proxd, ... or a socket path")->required();
        sub->add_option("METHOD", *method, "e.g. dht.get, sys.api")->required();
        sub->add_option("JSON", *json, "The params map (default {}; - reads it from stdin)");
        commands.push_back({sub, [=, &opts] {
            std::string text = *json == "-" ? read_stdin() : json->empty() ? "{}" : *json;
            Value params;
            try {
                params = Value::parse(text);
            } catch (const Value::exception& e) {
                throw ClientError(exit_data, "", std::string("JSON params: ") + e.what());
            }
            if (!params.is_object()) throw ClientError(exit_data, "", "JSON params must be an object");
            Client c(daemon_socket(opts, *daemon), opts.timeout_ms);
            Value r = c.call(*method, params);
            std::cout << printable(r).dump(opts.json ? -1 : 2, ' ', false, Value::error_handler_t::replace) << "\n";
            return exit_ok;
        }});
    }
    add_stats_command(app, opts, commands);
}

}  // namespace sr
