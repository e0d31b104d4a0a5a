#include "stream/catalog.hpp"

#include "core/error.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

namespace sr::stream {

namespace {

std::optional<FileId> id_of(const struct stat& st) {
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return FileId{st.st_dev, st.st_ino, st.st_size,
                  static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::optional<FileId> file_id(int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0) return std::nullopt;
    return id_of(st);
}

std::optional<FileId> file_id(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return std::nullopt;
    return id_of(st);
}

std::vector<Rendition> Title::playlist_renditions() const {
    std::vector<Rendition> out;
    for (const auto& r : renditions) out.push_back({r.name, r.index.get()});
    return out;
}

const IndexedRendition* Title::rendition(const std::string& name) const {
    for (const auto& r : renditions)
        if (r.name == name) return &r;
    return nullptr;
}

Catalog::Catalog(std::string media_dir, double segment_seconds)
    : dir_(std::move(media_dir)), segment_seconds_(segment_seconds) {}

bool Catalog::valid_name(const std::string& name) {
    if (name.empty() || name.size() > 255 || name[0] == '.') return false;
    return std::none_of(name.begin(), name.end(), [](char c) { return c == '/' || c == '\0' || c == '\\'; });
}

std::shared_ptr<const MediaIndex> Catalog::index_of(const std::string& path, const FileId& id) {
    auto it = cache_.find(path);
    if (it != cache_.end() && it->second.first == id) return it->second.second;
    ++indexings_;
    auto idx = std::make_shared<const MediaIndex>(index_media(path, segment_seconds_));
    cache_[path] = {id, idx};
    return idx;
}

std::optional<Title> Catalog::title(const std::string& name) {
    if (!valid_name(name)) return std::nullopt;
    Title t;
    t.name = name;
    std::string file = dir_ + "/" + name + ".mp4";
    if (auto id = file_id(file)) {
        t.renditions.push_back({name, file, *id, index_of(file, *id)});
        return t;
    }
    std::error_code ec;
    std::string sub = dir_ + "/" + name;
    if (!std::filesystem::is_directory(sub, ec)) return std::nullopt;
    for (const auto& entry : std::filesystem::directory_iterator(sub, ec)) {
        std::string fname = entry.path().filename().string();
        if (!ends_with(fname, ".mp4") || fname[0] == '.') continue;
        auto id = file_id(entry.path().string());
        if (!id) continue;
        t.renditions.push_back({fname.substr(0, fname.size() - 4), entry.path().string(), *id,
                                index_of(entry.path().string(), *id)});
    }
    if (t.renditions.empty()) return std::nullopt;
    std::sort(t.renditions.begin(), t.renditions.end(), [](const auto& a, const auto& b) {
        return a.index->bitrate_average > b.index->bitrate_average;
    });
    return t;
}

std::vector<std::string> Catalog::names() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        std::string fname = entry.path().filename().string();
        if (fname.empty() || fname[0] == '.') continue;
        if (entry.is_regular_file(ec) && ends_with(fname, ".mp4")) out.push_back(fname.substr(0, fname.size() - 4));
        else if (entry.is_directory(ec)) out.push_back(fname);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace sr::stream
