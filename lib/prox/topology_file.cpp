#include "prox/topology_file.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "core/error.hpp"

namespace sr::prox {

namespace {

struct Line {
    std::size_t number;
    std::vector<std::string> words;
};

[[noreturn]] void fail(std::string_view file, std::size_t line, const std::string& what) {
    throw sr::Error("config", std::string(file) + ":" + std::to_string(line) + ": " + what);
}

// Splits one line into words; handles quotes and strips the comment.
std::vector<std::string> split(std::string_view s, std::string_view file, std::size_t line) {
    std::vector<std::string> out;
    std::size_t i = 0;
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
    while (i < s.size()) {
        while (i < s.size() && space(s[i])) ++i;
        if (i >= s.size() || s[i] == '#') break;
        std::string word;
        if (s[i] == '"') {
            ++i;
            bool closed = false;
            while (i < s.size()) {
                char c = s[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\' && i < s.size() && (s[i] == '"' || s[i] == '\\')) c = s[i++];
                word.push_back(c);
            }
            if (!closed) fail(file, line, "unterminated quoted name");
            if (i < s.size() && !space(s[i])) fail(file, line, "junk after quoted name");
            if (word.empty()) fail(file, line, "empty router name");
        } else {
            while (i < s.size() && !space(s[i])) {
                if (s[i] == '"') fail(file, line, "quote inside a word");
                word.push_back(s[i++]);
            }
        }
        out.push_back(std::move(word));
    }
    return out;
}

std::string quote(const std::string& w) { return "'" + w + "'"; }

}  // namespace

Topology parse_topology(std::string_view text, std::string_view filename) {
    return parse_topology(text, filename, Topology{});
}

Topology parse_topology(std::string_view text, std::string_view file, const Topology& base) {
    Topology t = base;
    std::vector<Line> lines;
    std::size_t number = 0;
    for (std::size_t pos = 0; pos <= text.size();) {
        auto nl = text.find('\n', pos);
        auto end = nl == std::string_view::npos ? text.size() : nl;
        ++number;
        auto line = text.substr(pos, end - pos);
        if (line.find('\0') != std::string_view::npos) fail(file, number, "NUL byte");
        auto words = split(line, file, number);
        if (!words.empty()) lines.push_back({number, std::move(words)});
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }

    // Pass 1: routers, so that links and prefixes may refer forward.
    std::unordered_map<std::string, std::size_t> declared;  // name -> line in this file
    for (auto& [n, w] : lines) {
        const auto& kw = w[0];
        if (kw == "link" || kw == "prefix") continue;
        if (kw != "router") fail(file, n, "unknown statement " + quote(kw) + " (expected router, link or prefix)");
        if (w.size() < 2) fail(file, n, "router needs a NAME");
        const auto& name = w[1];
        auto [it, fresh] = declared.emplace(name, n);
        if (!fresh) fail(file, n, "duplicate router " + quote(name) + " (first on line " + std::to_string(it->second) + ")");
        auto id = t.find(name);
        if (!id) id = t.add_router(name);
        for (std::size_t i = 2; i < w.size(); ++i) {
            auto a = Address::parse(w[i]);
            if (!a) fail(file, n, "bad address " + quote(w[i]) + " for router " + quote(name));
            if (auto owner = t.router_of(*a); owner && *owner != *id)
                fail(file, n, "address " + a->str() + " already belongs to router " + quote(t.name(*owner)));
            t.add_address(*id, *a);
        }
    }

    auto router = [&](std::size_t n, const std::string& name) {
        auto id = t.find(name);
        if (!id) fail(file, n, "unknown router " + quote(name));
        return *id;
    };

    // Pass 2: links and prefixes.
    for (auto& [n, w] : lines) {
        const auto& kw = w[0];
        if (kw == "link") {
            if (w.size() < 4) fail(file, n, "link needs NAME NAME METRIC");
            if (w.size() > 4) fail(file, n, "trailing junk " + quote(w[4]));
            auto a = router(n, w[1]);
            auto b = router(n, w[2]);
            if (a == b) fail(file, n, "link from router " + quote(w[1]) + " to itself");
            std::uint32_t metric = 0;
            const auto& m = w[3];
            auto [p, ec] = std::from_chars(m.data(), m.data() + m.size(), metric);
            if (ec != std::errc() || p != m.data() + m.size() || metric == 0)
                fail(file, n, "bad metric " + quote(m) + " (an integer from 1 to 4294967295)");
            t.add_link(a, b, metric);
        } else if (kw == "prefix") {
            if (w.size() < 3) fail(file, n, "prefix needs CIDR NAME");
            if (w.size() > 3) fail(file, n, "trailing junk " + quote(w[3]));
            const auto& cidr = w[1];
            auto p = Prefix::parse(cidr);
            if (!p || cidr.find('/') == std::string::npos) fail(file, n, "bad CIDR " + quote(cidr));
            auto given = Address::parse(std::string_view(cidr).substr(0, cidr.find('/')));
            if (given && *given != p->addr)
                fail(file, n, "host bits set in " + quote(cidr) + " (did you mean " + p->str() + "?)");
            auto r = router(n, w[2]);
            try {
                t.add_prefix(*p, r);
            } catch (const std::invalid_argument& e) {
                fail(file, n, e.what());
            }
        }
    }
    return t;
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw sr::Error("config", path + ": cannot open: " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw sr::Error("config", path + ": read error");
    return std::move(ss).str();
}

Topology load_topology_file(const std::string& path) { return parse_topology(read_text_file(path), path); }

Topology load_topology_file(const std::string& path, const Topology& base) {
    return parse_topology(read_text_file(path), path, base);
}

}  // namespace sr::prox
