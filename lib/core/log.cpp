#include "core/log.hpp"

#include "core/value.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace sr::log {

namespace {
std::string program = "sr";
Level threshold = Level::info;
const char* names[] = {"debug", "info", "warning", "error"};
const char* priorities[] = {"<7>", "<6>", "<4>", "<3>"};  // syslog's debug, info, warning, err
bool daemon_style = false, journal = false;
Format format = Format::text;

}  // namespace

std::string rfc3339_now() {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
    return buf;
}


void set_program(std::string_view name) { program = name; }

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (!stream || !*stream) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
    return dev == static_cast<unsigned long long>(st.st_dev) && ino == static_cast<unsigned long long>(st.st_ino);
}

void set_daemon_style(Format f) {
    daemon_style = true;
    format = f;
    journal = stderr_is_journal();
}
void set_level(Level level) { threshold = level; }
bool enabled(Level level) { return level >= threshold; }

std::string escape(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    auto put = [&out](unsigned char c) {
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f || c == '\\') {
            put(c);
        } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            put(c);  // a C1 control such as CSI (U+009B) in UTF-8
            put(static_cast<unsigned char>(text[++i]));
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

void write(Level level, const std::string& line) {
    int l = static_cast<int>(level);
    std::string out;
    if (daemon_style && journal) out = priorities[l];
    if (daemon_style && format == Format::json) {
        auto str = [](const std::string& t) { return Value(t).dump(-1, ' ', false, Value::error_handler_t::replace); };
        out += "{\"time\":" + str(rfc3339_now()) + ",\"program\":" + str(program) + ",\"level\":" + str(names[l]) +
               ",\"message\":" + str(escape(line)) + "}\n";  // in this order, for people reading them
    } else {
        if (daemon_style && !journal) out = rfc3339_now() + " ";
        out += program + ": " + names[l] + ": " + escape(line) + "\n";
    }
    std::fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace sr::log
