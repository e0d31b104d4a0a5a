#include "core/runtime_dir.hpp"

#include "core/error.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sr {

RuntimeDir find_runtime_dir(const std::string& option_value) {
    if (!option_value.empty()) return {option_value, true};
    if (const char* env = std::getenv("SR_RUNTIME_DIR"); env && *env) return {env, true};
    if (geteuid() == 0) return {"/run/sr", false};
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg) return {std::string(xdg) + "/sr", false};
    return {"/tmp/sr-" + std::to_string(geteuid()), false};
}

namespace {

// us_or_root_or_placed: also any owner when only root can create entries
// in the parent (/run for /run/sr): root, or root's service manager, gave it.
enum class Owners { us_or_root, us_or_root_or_placed, anyone };

bool only_root_can_create_in_parent_of(const std::string& path) {
    std::string parent = path.substr(0, path.find_last_of('/'));
    if (parent.empty()) parent = "/";
    struct stat st {};
    return ::stat(parent.c_str(), &st) == 0 && st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::string octal(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
    throw Error("config", "runtime directory " + path + " " + why +
                              "; refusing to use it (remove it, or choose another with --runtime-dir)");
}

// False when path does not exist; throws when it exists and is not safe.
bool check(const std::string& path, Owners owners) {
    uid_t me = geteuid();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return false;
        refuse(path, std::string("cannot be examined: ") + std::strerror(errno));
    }
    if (S_ISLNK(st.st_mode)) {
        if (st.st_uid != me && st.st_uid != 0)
            refuse(path, "is a symbolic link owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
                             std::to_string(me) + " or root");
        if (::stat(path.c_str(), &st) != 0) {
            if (errno == ENOENT) return false;
            refuse(path, std::string("cannot be examined: ") + std::strerror(errno));
        }
    }
    if (!S_ISDIR(st.st_mode)) refuse(path, "is not a directory");
    if (owners != Owners::anyone && st.st_uid != me && st.st_uid != 0 &&
        !(owners == Owners::us_or_root_or_placed && only_root_can_create_in_parent_of(path)))
        refuse(path, "is owned by uid " + std::to_string(st.st_uid) + ", not by uid " + std::to_string(me) +
                         " or root (another user may have created it first)");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        refuse(path, "has mode " + octal(st.st_mode) + ": others than its owner can write it");
    return true;
}

}  // namespace

void check_runtime_dir_for_client(const RuntimeDir& dir) {
    std::string path = dir.path;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    check(path, dir.chosen ? Owners::anyone : Owners::us_or_root_or_placed);
}

void prepare_runtime_dir(const RuntimeDir& given, std::optional<gid_t> group) {
    RuntimeDir dir = given;
    while (dir.path.size() > 1 && dir.path.back() == '/') dir.path.pop_back();  // "run/" is "run"
    if (check(dir.path, Owners::us_or_root)) return;
    // Parents as mkdir -p would make them; the directory itself ours alone,
    // or the group's to enter. mkdir's mode passes through the umask, so the
    // mode is set again once the directory is ours.
    std::string path;
    for (std::size_t pos = dir.path.find('/', 1); pos != std::string::npos; pos = dir.path.find('/', pos + 1)) {
        path = dir.path.substr(0, pos);
        if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
            throw Error("config", "cannot create directory " + path + ": " + std::strerror(errno));
    }
    mode_t mode = group ? 0750 : 0700;
    if (::mkdir(dir.path.c_str(), mode) == 0) {
        if (group && ::chown(dir.path.c_str(), static_cast<uid_t>(-1), *group) != 0)
            throw Error("config", "cannot give runtime directory " + dir.path + " to group " + std::to_string(*group) +
                                      ": " + std::strerror(errno));
        if (::chmod(dir.path.c_str(), mode) != 0)
            throw Error("config", "cannot set the mode of runtime directory " + dir.path + ": " + std::strerror(errno));
    } else if (errno != EEXIST) {
        throw Error("config", "cannot create runtime directory " + dir.path + ": " + std::strerror(errno));
    }
    // Made by us, or by someone else just now: either way, checked again.
    if (!check(dir.path, Owners::us_or_root)) refuse(dir.path, "vanished while being created");
}

}  // namespace sr
