// Whole-file reads and atomic writes, for the daemons' state files; a file
// descriptor that closes itself.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace sr {

// The file's bytes, or nullopt when it cannot be opened (absent, unreadable).
std::optional<std::string> read_file(const std::string& path);

// Writes path atomically (PATH.tmp, fsync, rename), mode 0600: a crash leaves
// the old file or the new one, never half of one. Throws Error("io").
void write_file_atomic(const std::string& path, const std::string& data);

// Owns a descriptor: closed when it goes out of scope, unless released (to
// a new owner, e.g. evbuffer_add_file).
class UniqueFd {
  public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    ~UniqueFd();
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

}  // namespace sr
