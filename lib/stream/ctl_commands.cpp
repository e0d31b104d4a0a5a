#include "stream/ctl_commands.hpp"

#include "core/exit.hpp"

namespace sr::stream {

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    auto* stream = app.add_subcommand("stream", "Show sr-streamd's titles, live channels and counters");
    stream->require_subcommand(1);
    {
        auto* sub = stream->add_subcommand("list", "The titles and their renditions");
        commands.push_back({sub, [&opts] {
            Client c(opts.socket_for("streamd"), opts.timeout_ms);
            Output out(opts.output(), {"title", "rendition", "duration", "bitrate", "segments", "codecs"});
            Value r = c.call("stream.list");  // kept: a range-for over a temporary's member would dangle
            for (const auto& t : r["titles"]) {
                if (opts.json) {
                    out.row(t);
                    continue;
                }
                if (t.contains("error")) {
                    out.row({{"title", t["name"]}, {"rendition", "-"}, {"codecs", t["error"]}});
                    continue;
                }
                for (const auto& r : t["renditions"]) {
                    std::string codecs;
                    for (const auto& c : r["codecs"]) codecs += (codecs.empty() ? "" : ",") + c.get<std::string>();
                    out.row({{"title", t["name"]}, {"rendition", r["name"]}, {"duration", r["duration"]},
                             {"bitrate", r["bitrate"]}, {"segments", r["segments"]}, {"codecs", codecs}});
                }
            }
            return exit_ok;
        }});
    }
    {
        auto* sub = stream->add_subcommand("live", "The live channels: input, state, segments, bitrate");
        commands.push_back({sub, [&opts] {
            Client c(opts.socket_for("streamd"), opts.timeout_ms);
            Output out(opts.output(), {"channel", "input", "state", "segments", "bitrate", "codecs"});
            Value r = c.call("stream.live");
            for (const auto& ch : r["channels"]) {
                if (opts.json) {
                    out.row(ch);
                    continue;
                }
                out.row({{"channel", ch["name"]}, {"input", ch["input"]}, {"state", ch["state"]},
                         {"segments", ch["segments"]}, {"bitrate", ch["bitrate"]}, {"codecs", ch["codecs"]}});
            }
            return exit_ok;
        }});
    }
    {
        auto* sub = stream->add_subcommand("stats", "Counters of sr-streamd");
        commands.push_back({sub, [&opts] {
            Client c(opts.socket_for("streamd"), opts.timeout_ms);
            Value r = c.call("sys.stats");
            Output out(opts.output(), {"name", "value"});
            Value mine = Value::object();
            for (auto it = r.begin(); it != r.end(); ++it)
                if (it.key().rfind("stream.", 0) == 0) mine[it.key()] = it.value();
            if (opts.json) {
                out.row(mine);
                return exit_ok;
            }
            for (auto it = mine.begin(); it != mine.end(); ++it) out.row({{"name", it.key()}, {"value", it.value()}});
            return exit_ok;
        }});
    }
}

}  // namespace sr::stream
