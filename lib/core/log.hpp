// Logging: one line per event on stderr, "PROGRAM: LEVEL: message".
//
// Daemons run in the foreground under a supervisor that timestamps and
// stores stderr (journald, s6-log), so lines carry no timestamp of their
// own. -v raises the level to debug, -q lowers it to warnings.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace sr::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_program(std::string_view name);
void set_level(Level level);
bool enabled(Level level);
void write(Level level, const std::string& line);

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
