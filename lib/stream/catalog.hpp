// The titles under --media-dir and their sample indexes, made on first use
// and kept until the file changes.
//
// A title NAME is the file DIR/NAME.mp4 (one rendition, named NAME), or the
// directory DIR/NAME/ whose *.mp4 files are its renditions (named by file,
// ordered by bit rate, highest first). A file is known by its identity
// (device, inode, size, modification time): a file replaced or rewritten is
// indexed again at the next request, while requests already being served
// finish from the descriptor they opened. Names are single path components
// without a leading dot, so no request reaches outside the media directory.
#pragma once

#include "stream/media.hpp"
#include "stream/playlist.hpp"

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sr::stream {

struct FileId {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileId&) const = default;
};

struct IndexedRendition {
    std::string name;
    std::string path;
    FileId id;
    std::shared_ptr<const MediaIndex> index;
};

struct Title {
    std::string name;
    std::vector<IndexedRendition> renditions;  // highest bit rate first

    std::vector<Rendition> playlist_renditions() const;
    const IndexedRendition* rendition(const std::string& name) const;
};

class Catalog {
  public:
    Catalog(std::string media_dir, double segment_seconds);

    // The title, its files indexed (or taken from the cache); nullopt when
    // there is no such title. Throws Error("bad_media") for a file that
    // cannot be served, naming it and why.
    std::optional<Title> title(const std::string& name);
    // Every title's name, sorted.
    std::vector<std::string> names() const;
    static bool valid_name(const std::string& name);

    const std::string& media_dir() const { return dir_; }
    std::size_t indexed() const { return cache_.size(); }
    std::uint64_t indexings() const { return indexings_; }

  private:
    std::shared_ptr<const MediaIndex> index_of(const std::string& path, const FileId& id);

    std::string dir_;
    double segment_seconds_;
    std::map<std::string, std::pair<FileId, std::shared_ptr<const MediaIndex>>> cache_;  // by path
    std::uint64_t indexings_ = 0;
};

// The identity of an open file or a path; nullopt when it is not a regular file.
std::optional<FileId> file_id(int fd);
std::optional<FileId> file_id(const std::string& path);

}  // namespace sr::stream
