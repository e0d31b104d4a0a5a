// Logging: one line per event on stderr, "PROGRAM: LEVEL: message".
//
// A daemon's lines (set_daemon_style) say when, in one of three forms:
//   - under journald (stderr is the stream $JOURNAL_STREAM names): a
//     priority prefix, "<6>sr-dhtd: info: ...", which journald turns into
//     the entry's priority; it stamps the time itself;
//   - otherwise (a file, s6-log, a terminal): an RFC 3339 UTC timestamp
//     first, "2026-12-07T03:49:31.123Z sr-dhtd: info: ...";
//   - --log-format json: one JSON object a line, {"time", "program",
//     "level", "message"} (with the priority prefix under journald).
// The client tools keep the plain form. -v raises the level to debug, -q
// lowers it to warnings.
//
// Every line is escaped on the way out (escape() below): names, URLs and
// headers from clients and peers end up in messages, and a raw ESC or CR/LF
// in them would forge log lines or drive the reader's terminal.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

namespace sr::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_program(std::string_view name);
enum class Format { text, json };
// A daemon's style: timestamps or journald priorities, text or JSON lines.
void set_daemon_style(Format format);
// "2026-12-07T03:49:31.123Z": now, in UTC, as the daemons' lines and sr-cached's access log stamp it.
std::string rfc3339_now();
// Whether stderr is the journald stream $JOURNAL_STREAM ("DEV:INODE") names.
bool stderr_is_journal();
void set_level(Level level);
bool enabled(Level level);
// Writes "PROGRAM: LEVEL: " + escape(line) + "\n" to stderr, in the style set.
void write(Level level, const std::string& line);

// Text made safe for a one-line log: each control byte (0x00-0x1f, 0x7f),
// each C1 control in its UTF-8 form (c2 80 - c2 9f) and the backslash
// become \xHH (as nginx writes \x1B), so one event stays one line and the
// original bytes can be recovered. Other bytes, UTF-8 included, pass as is.
std::string escape(std::string_view text);

// True at the 1st, 2nd, 4th, 8th... occurrence of an event counted in n:
// what outsiders can trigger at will is logged this sparsely, so a flood of
// refused input cannot flood the log (the counter keeps the exact number).
inline bool worth_logging(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

template <typename... Args>
void emit(Level level, const Args&... args) {
    if (!enabled(level)) return;
    std::ostringstream out;
    (out << ... << args);
    write(level, out.str());
}

template <typename... Args> void debug(const Args&... a) { emit(Level::debug, a...); }
template <typename... Args> void info(const Args&... a) { emit(Level::info, a...); }
template <typename... Args> void warn(const Args&... a) { emit(Level::warn, a...); }
template <typename... Args> void error(const Args&... a) { emit(Level::error, a...); }

}  // namespace sr::log
