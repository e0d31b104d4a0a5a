// Logging: one line per event on stderr, "PROGRAM: LEVEL: message".
//
// Daemons run in the foreground under a supervisor that timestamps and
// stores stderr (journald, s6-log), so lines carry no timestamp of their
// own. -v raises the level to debug, -q lowers it to warnings.
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
void set_level(Level level);
bool enabled(Level level);
// Writes "PROGRAM: LEVEL: " + escape(line) + "\n" to stderr.
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
