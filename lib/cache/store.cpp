// The disk store (design in store.hpp).
//
// Why LRU: it costs O(1) per hit and per eviction (a list in memory), its
// behaviour is easy for an operator to predict, and it is what nginx and
// Squid do by default. Size-aware policies such as GDSF evict large objects
// first, and the large video objects are exactly those whose backbone
// crossings we most want to save.
//
// Durability: the crashes we handle are process deaths (kill -9, abort).
// Everything written with write(2) or through the shared mapping is then in
// the page cache and survives, so nothing is fsync'ed; after a power loss
// the index is dirty anyway and is rebuilt from the object files, and an
// object file whose trailer did not make it to disk is deleted.
//
// Keys and bytes on disk: store_format.hpp. The index map is ordered by key,
// so the variants of one URL are adjacent and variants() is a range lookup.
// Prefix listings and purges use an ordered set of URLs in process memory,
// rebuilt at open like the LRU list.
#include "cache/store.hpp"

#include "cache/store_format.hpp"
#include "core/error.hpp"

#include <boost/interprocess/allocators/allocator.hpp>
#include <boost/interprocess/containers/map.hpp>
#include <boost/interprocess/containers/string.hpp>
#include <boost/interprocess/managed_mapped_file.hpp>
#include <boost/interprocess/sync/file_lock.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

namespace sr::cache {

namespace bip = boost::interprocess;
namespace fs = std::filesystem;
using namespace format;

namespace {

constexpr std::uint32_t kIndexMagic = 0x53524349;  // "SRCI"
constexpr std::uint32_t kIndexVersion = 1;         // bump when Entry or State change
constexpr std::size_t kInitialIndexBytes = 1 << 20;
constexpr std::uint64_t kMaxIndexBytes = 1ull << 36;

using Segment = bip::managed_mapped_file;
using SegmentManager = Segment::segment_manager;
using CharAlloc = bip::allocator<char, SegmentManager>;
using ShmString = bip::basic_string<char, std::char_traits<char>, CharAlloc>;

struct State {
    std::uint32_t magic = kIndexMagic;
    std::uint32_t version = kIndexVersion;
    std::uint32_t clean = 0;
};

struct Entry {
    ShmString url, variant, header;  // header: the trailer's msgpack blob
    std::uint64_t body_size = 0;
    std::int64_t stored = 0, last_access = 0;
    explicit Entry(const CharAlloc& a) : url(a), variant(a), header(a) {}
};
using EntryAlloc = bip::allocator<std::pair<const Id, Entry>, SegmentManager>;
using IndexMap = bip::map<Id, Entry, std::less<Id>, EntryAlloc>;

std::string_view sv(const ShmString& s) { return {s.data(), s.size()}; }
std::uint64_t disk_size(const Entry& e) { return e.body_size + e.header.size() + kTrailerBytes; }

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
    throw Error("io", what + " " + path + ": " + std::strerror(errno));
}

// Writes all of p at off, or at the file offset when off < 0.
void write_all(int fd, const char* p, std::size_t n, const std::string& path, off_t off = -1) {
    while (n > 0) {
        ssize_t k = off < 0 ? ::write(fd, p, n) : ::pwrite(fd, p, n, off);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) io_error("cannot write", path);
        p += k;
        n -= static_cast<std::size_t>(k);
        if (off >= 0) off += k;
    }
}

bool pread_all(int fd, char* p, std::size_t n, off_t off) {
    while (n > 0) {
        ssize_t k = ::pread(fd, p, n, off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += k;
        n -= static_cast<std::size_t>(k);
        off += k;
    }
    return true;
}

// fcntl locks belong to the process, and closing any descriptor of the lock
// file drops them, so a second Store on the same DIR in this process must be
// refused before it touches DIR/lock. Keyed by the directory's inode; the pid
// makes a forked child ignore what its parent held.
std::mutex g_claims_mu;
std::map<std::pair<dev_t, ino_t>, pid_t> g_claims;

struct DirClaim {
    std::pair<dev_t, ino_t> id{};
    bool held = false;
    DirClaim() = default;
    DirClaim(const DirClaim&) = delete;
    DirClaim& operator=(const DirClaim&) = delete;
    bool claim(dev_t dev, ino_t ino) {
        std::lock_guard lk(g_claims_mu);
        id = {dev, ino};
        auto [it, fresh] = g_claims.try_emplace(id, ::getpid());
        if (!fresh && it->second == ::getpid()) return false;
        it->second = ::getpid();
        return held = true;
    }
    ~DirClaim() {
        if (!held) return;
        std::lock_guard lk(g_claims_mu);
        g_claims.erase(id);
    }
};

// Bodies and the request fields a response varies on (Authorization, Cookie)
// are the clients' own: the store is its owner's alone, whatever the umask
// and whatever an older version left. True when path was looser than mode.
bool tighten(const std::string& path, mode_t mode) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    if ((st.st_mode & 07777) == mode) return false;
    if (::chmod(path.c_str(), mode) != 0)
        throw Error("config", "cannot restrict " + path + " to mode 0" + (mode == 0700 ? "700" : "600") + ": " +
                                  std::strerror(errno));
    return (st.st_mode & 077) != 0;
}

class WriterImpl final : public Store::Writer {
  public:
    explicit WriterImpl(std::string path) : path_(std::move(path)) {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd_ < 0) io_error("cannot create", path_);
        ::fchmod(fd_, 0600);  // exactly, whatever the umask took away
    }
    ~WriterImpl() override { abort(); }
    void write(const char* data, std::size_t n) override {
        if (fd_ < 0) throw Error("invalid", "write on a finished writer");
        write_all(fd_, data, n, path_);
        written_ += n;
    }
    std::uint64_t written() const override { return written_; }
    const std::string& path() const override { return path_; }

    int fd() const { return fd_; }
    // Appends the trailer and renames the file to `to`.
    void finish(const std::string& blob, const std::string& to) {
        std::string t = with_trailer(blob);
        write_all(fd_, t.data(), t.size(), path_);
        int rc = ::close(fd_);
        fd_ = -1;
        if (rc != 0) io_error("cannot write", path_);
        if (::rename(path_.c_str(), to.c_str()) != 0) io_error("cannot rename " + path_ + " to", to);
        renamed_ = true;
    }
    void abort() {
        if (fd_ >= 0) ::close(fd_), fd_ = -1;
        if (!renamed_) ::unlink(path_.c_str()), renamed_ = true;
    }

  private:
    std::string path_;
    int fd_ = -1;
    std::uint64_t written_ = 0;
    bool renamed_ = false;
};

}  // namespace

// ---- OpenObject -------------------------------------------------------------

OpenObject::OpenObject(OpenObject&& o) noexcept : object(std::move(o.object)), fd(o.fd) { o.fd = -1; }
OpenObject& OpenObject::operator=(OpenObject&& o) noexcept {
    if (this != &o) {
        if (fd >= 0) ::close(fd);
        object = std::move(o.object);
        fd = o.fd;
        o.fd = -1;
    }
    return *this;
}
OpenObject::~OpenObject() {
    if (fd >= 0) ::close(fd);
}
int OpenObject::release() { return std::exchange(fd, -1); }

// ---- Impl ---------------------------------------------------------------------

struct Store::Impl {
    fs::path dir;
    std::string index_path, objects_dir, tmp_dir;
    // Declaration order matters: destroyed in reverse, the mapping goes
    // before the lock, and the lock before the claim.
    DirClaim claim;
    bip::file_lock lock;
    std::unique_ptr<Segment> seg;
    State* state = nullptr;
    IndexMap* map = nullptr;

    std::list<Id> lru;  // front: least recently used
    std::unordered_map<Id, std::list<Id>::iterator, IdHash> lru_pos;
    std::set<std::pair<std::string, Id>> by_url;
    std::uint64_t bytes = 0, evictions = 0, evicted_bytes = 0;
    bool rebuilt = false;

    explicit Impl(const StoreConfig& cfg);
    ~Impl();

    std::string object_path(const Id& k) const {
        std::string h = k.hex();
        return objects_dir + "/" + h.substr(0, 2) + "/" + h;
    }
    IndexMap& index() {
        if (!map) throw Error("io", "the cache index " + index_path + " is unavailable");
        return *map;
    }
    const IndexMap& index() const { return const_cast<Impl*>(this)->index(); }
    ObjectInfo info(const Id& k, const Entry& e) const {
        return ObjectInfo{std::string(sv(e.url)), std::string(sv(e.variant)), e.body_size, e.stored, e.last_access,
                          object_path(k)};
    }
    // The entry of url+variant, or nullptr (also when the key collides).
    Entry* find(std::string_view url, std::string_view variant, Id& key) {
        key = object_key(url, variant);
        auto it = index().find(key);
        if (it == index().end() || sv(it->second.url) != url || sv(it->second.variant) != variant) return nullptr;
        return &it->second;
    }

    // Runs f, growing the mapped file and retrying while it runs out of room.
    // f must be safe to repeat, and must re-find whatever it touches: growing
    // remaps the file, so pointers into it do not survive.
    template <class F>
    void mutate(F&& f) {
        for (;;) {
            try {
                f();
                return;
            } catch (const bip::bad_alloc&) {
                grow();
            }
        }
    }
    void grow();
    void attach();
    bool open_trusted();
    void create_fresh();
    void load_memory();
    void rebuild();
    void scan_file(const fs::path& p, const std::string& dirname);
    void empty_tmp();

    void put(const Id& key, std::string_view url, std::string_view variant, const std::string& blob,
             std::uint64_t body_size, std::int64_t stored, std::int64_t last_access);
    ObjectInfo erase(Id key);  // by value: callers pass lru.front()
    void touch(const Id& key) { lru.splice(lru.end(), lru, lru_pos.at(key)); }
    std::vector<ObjectInfo> evict_if_over(std::uint64_t max_bytes);
};

Store::Impl::Impl(const StoreConfig& cfg) {
    std::error_code ec;
    dir = fs::absolute(cfg.dir, ec);
    if (!ec) fs::create_directories(dir, ec);
    struct stat st {};
    if (ec || ::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error("config", "cannot use cache directory " + cfg.dir + (ec ? ": " + ec.message() : ""));
    const std::string busy = "cache directory " + dir.string() + " is in use by another process";
    if (!claim.claim(st.st_dev, st.st_ino)) throw Error("busy", busy);

    bool loose = tighten(dir.string(), 0700);
    std::string lock_path = (dir / "lock").string();
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw Error("config", "cannot open " + lock_path + ": " + std::strerror(errno));
    ::close(fd);  // harmless: this process holds no lock on it (see DirClaim)
    tighten(lock_path, 0600);
    try {
        bip::file_lock l(lock_path.c_str());
        if (!l.try_lock()) throw Error("busy", busy);
        lock.swap(l);
    } catch (const bip::interprocess_exception& e) {
        throw Error("config", "cannot lock " + lock_path + ": " + e.what());
    }

    index_path = (dir / "index").string();
    objects_dir = (dir / "objects").string();
    tmp_dir = (dir / "tmp").string();
    fs::create_directories(objects_dir, ec);
    if (!ec) fs::create_directories(tmp_dir, ec);
    static const char* hex = "0123456789abcdef";
    for (int i = 0; i < 256 && !ec; ++i)
        fs::create_directories(objects_dir + "/" + hex[i >> 4] + hex[i & 15], ec);
    if (ec) throw Error("config", "cannot create the layout of " + dir.string() + ": " + ec.message());
    loose |= tighten(objects_dir, 0700);
    loose |= tighten(tmp_dir, 0700);
    for (int i = 0; i < 256; ++i) loose |= tighten(objects_dir + "/" + hex[i >> 4] + hex[i & 15], 0700);
    tighten(index_path, 0600);
    // A store left readable by an older version: its files too (a new one makes them 0600),
    // the top level's included (the DHT secret lives there).
    if (loose)
        for (auto f = fs::directory_iterator(dir, ec); !ec && f != fs::directory_iterator(); f.increment(ec))
            if (std::error_code ec2; f->is_regular_file(ec2)) tighten(f->path().string(), 0600);
    if (loose)
        for (auto d = fs::directory_iterator(objects_dir, ec); !ec && d != fs::directory_iterator(); d.increment(ec)) {
            std::error_code ec2;
            for (auto f = fs::directory_iterator(d->path(), ec2); !ec2 && f != fs::directory_iterator();
                 f.increment(ec2))
                if (f->is_regular_file(ec2)) tighten(f->path().string(), 0600);
        }

    empty_tmp();  // we are the only writer: anything there is left from a dead one
    bool trusted = false;
    try {
        trusted = open_trusted();
        if (trusted) load_memory();
    } catch (const std::exception&) {
        trusted = false;
    }
    if (!trusted) rebuild();
    // From here on the index may differ from what a clean close would leave.
    state->clean = 0;
    seg->flush();
}

Store::Impl::~Impl() {
    if (!seg || !state) return;
    try {
        state->clean = 1;
        seg->flush();
    } catch (...) {
        // The index stays dirty and is rebuilt at the next open.
    }
}

void Store::Impl::attach() {
    state = seg->find<State>("state").first;
    map = seg->find<IndexMap>("index").first;
    if (!state || !map) throw Error("io", "the cache index " + index_path + " lacks its objects");
}

void Store::Impl::grow() {
    std::size_t size = seg->get_size();
    if (size >= kMaxIndexBytes) throw Error("io", "the cache index " + index_path + " is too large");
    state = nullptr, map = nullptr;
    seg.reset();  // Segment::grow needs the file unmapped; it doubles here
    bool grown = Segment::grow(index_path.c_str(), size);
    seg = std::make_unique<Segment>(bip::open_only, index_path.c_str());
    attach();
    if (!grown) throw Error("io", "cannot grow the cache index " + index_path);
}

// Opens the index if it is there, intact and was closed cleanly.
bool Store::Impl::open_trusted() {
    // Boost's open_only spins forever on a segment whose first word says
    // "being initialised" (0 or 1; a finished one says 2), e.g. a file of
    // zeros, so check that word ourselves first. (A clean index damaged in
    // its middle, by a disk fault, is beyond what we defend against.)
    int fd = ::open(index_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::uint32_t word = 0;
    bool ok = pread_all(fd, reinterpret_cast<char*>(&word), sizeof word, 0);
    ::close(fd);
    if (!ok || word != 2) return false;
    seg = std::make_unique<Segment>(bip::open_only, index_path.c_str());
    attach();
    return state->magic == kIndexMagic && state->version == kIndexVersion && state->clean == 1;
}

// A new, empty index: built under another name, so a crash never leaves a
// half-initialised segment called "index".
void Store::Impl::create_fresh() {
    state = nullptr, map = nullptr;
    seg.reset();
    std::string fresh = index_path + ".new";
    ::unlink(index_path.c_str());
    ::unlink(fresh.c_str());
    try {
        bip::permissions owner_only(0600);  // Boost's default is 0644, set with fchmod past the umask
        seg = std::make_unique<Segment>(bip::create_only, fresh.c_str(), kInitialIndexBytes, nullptr, owner_only);
        seg->construct<State>("state")();
        seg->construct<IndexMap>("index")(std::less<Id>(), EntryAlloc(seg->get_segment_manager()));
        attach();
    } catch (const bip::interprocess_exception& e) {
        throw Error("config", "cannot create the cache index " + fresh + ": " + e.what());
    }
    if (::rename(fresh.c_str(), index_path.c_str()) != 0) io_error("cannot rename the index to", index_path);
}

void Store::Impl::load_memory() {
    lru.clear(), lru_pos.clear(), by_url.clear();
    bytes = 0;
    std::vector<std::pair<std::int64_t, Id>> order;
    order.reserve(index().size());
    for (const auto& [key, e] : index()) {
        order.emplace_back(e.last_access, key);
        by_url.emplace(std::string(sv(e.url)), key);
        bytes += disk_size(e);
    }
    std::sort(order.begin(), order.end());
    for (const auto& [t, key] : order) lru_pos[key] = lru.insert(lru.end(), key);
}

void Store::Impl::empty_tmp() {
    std::error_code ec;
    for (auto it = fs::directory_iterator(tmp_dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::error_code ignored;
        fs::remove_all(it->path(), ignored);
    }
}

void Store::Impl::rebuild() {
    // A brand-new DIR (no index, no object files) is not counted as a rebuild.
    rebuilt = ::access(index_path.c_str(), F_OK) == 0;
    create_fresh();
    std::error_code ec;
    for (auto d = fs::directory_iterator(objects_dir, ec); !ec && d != fs::directory_iterator(); d.increment(ec)) {
        std::string dirname = d->path().filename().string();
        std::error_code ec2;
        if (!d->is_directory(ec2) || dirname.size() != 2) continue;
        for (auto f = fs::directory_iterator(d->path(), ec2); !ec2 && f != fs::directory_iterator(); f.increment(ec2)) {
            std::error_code ec3;
            if (f->is_regular_file(ec3)) scan_file(f->path(), dirname), rebuilt = true;
        }
    }
    load_memory();
}

// Indexes one object file from its trailer, or deletes it if it does not
// check out. Never throws for a bad file.
void Store::Impl::scan_file(const fs::path& p, const std::string& dirname) {
    std::string name = p.filename().string();
    std::optional<DecodedHeader> d;
    std::string blob;
    std::uint64_t body = 0;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    char tr[kTrailerBytes];
    std::optional<std::uint32_t> len;
    if (fd >= 0 && ::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) >= kTrailerBytes &&
        pread_all(fd, tr, kTrailerBytes, st.st_size - static_cast<off_t>(kTrailerBytes)))
        len = parse_trailer(tr);
    if (len && *len + kTrailerBytes <= static_cast<std::uint64_t>(st.st_size)) {
        body = static_cast<std::uint64_t>(st.st_size) - *len - kTrailerBytes;
        blob.resize(*len);
        try {
            if (pread_all(fd, blob.data(), *len, static_cast<off_t>(body))) d = decode_header(blob);
        } catch (const DecodeError&) {
        }
    }
    if (fd >= 0) ::close(fd);
    Id key;
    if (d) key = object_key(d->object.url, d->object.variant);
    if (!d || d->object.body_size != body || name != key.hex() || name.compare(0, 2, dirname) != 0) {
        ::unlink(p.c_str());
        return;
    }
    put(key, d->object.url, d->object.variant, blob, body, d->stored, d->stored);
}

// Inserts or replaces the entry of key in the index and in memory.
void Store::Impl::put(const Id& key, std::string_view url, std::string_view variant, const std::string& blob,
                      std::uint64_t body_size, std::int64_t stored, std::int64_t last_access) {
    std::optional<std::pair<std::string, std::uint64_t>> old;  // url, disk size
    if (auto it = index().find(key); it != index().end())
        old.emplace(std::string(sv(it->second.url)), disk_size(it->second));
    mutate([&] {
        auto r = index().try_emplace(key, CharAlloc(seg->get_segment_manager()));
        Entry& e = r.first->second;
        e.url.assign(url.data(), url.size());
        e.variant.assign(variant.data(), variant.size());
        e.header.assign(blob.data(), blob.size());
        e.body_size = body_size;
        e.stored = stored;
        e.last_access = last_access;
    });
    if (old) {
        bytes -= old->second;
        by_url.erase({old->first, key});
        lru.erase(lru_pos.at(key));
    }
    bytes += body_size + blob.size() + kTrailerBytes;
    by_url.emplace(std::string(url), key);
    lru_pos[key] = lru.insert(lru.end(), key);
}

// Drops the entry and deletes its file.
ObjectInfo Store::Impl::erase(Id key) {
    auto it = index().find(key);
    ObjectInfo oi = info(key, it->second);
    std::uint64_t size = disk_size(it->second);
    ::unlink(oi.path.c_str());
    index().erase(it);  // frees memory, never allocates
    bytes -= size;
    by_url.erase({oi.url, key});
    lru.erase(lru_pos.at(key));
    lru_pos.erase(key);
    return oi;
}

std::vector<ObjectInfo> Store::Impl::evict_if_over(std::uint64_t max_bytes) {
    std::vector<ObjectInfo> out;
    if (bytes <= max_bytes) return out;
    // Evicting down to a low-water mark rather than to the bound itself
    // keeps the next commits from each paying for an eviction.
    std::uint64_t low = max_bytes - max_bytes / 20;
    while (bytes > low && !lru.empty()) {
        std::uint64_t before = bytes;
        out.push_back(erase(lru.front()));
        ++evictions;
        evicted_bytes += before - bytes;
    }
    return out;
}

// ---- Store --------------------------------------------------------------------

Store::Store(StoreConfig cfg) : cfg_(std::move(cfg)), impl_(std::make_unique<Impl>(cfg_)) {
    impl_->evict_if_over(cfg_.max_bytes);  // max_bytes may have shrunk since the last run
}

Store::~Store() = default;

std::unique_ptr<Store::Writer> Store::begin() {
    return std::make_unique<WriterImpl>(impl_->tmp_dir + "/" + Id::random().hex());
}

std::vector<ObjectInfo> Store::commit(std::unique_ptr<Writer> w, const StoredObject& object, std::int64_t now) {
    auto* wi = dynamic_cast<WriterImpl*>(w.get());
    if (!wi || wi->fd() < 0) throw Error("invalid", "commit of a writer this store did not begin, or finished");
    if (object.body_size != wi->written())
        throw Error("invalid", "body_size " + std::to_string(object.body_size) + " but " +
                                   std::to_string(wi->written()) + " bytes written");
    std::string blob = encode_header(object, object.body_size, now);
    Id key = object_key(object.url, object.variant);
    // The file name is the key, so the rename atomically replaces a previous
    // version of this url+variant.
    std::string path = impl_->object_path(key);
    wi->finish(blob, path);
    try {
        impl_->put(key, object.url, object.variant, blob, object.body_size, now, now);
    } catch (...) {
        ::unlink(path.c_str());  // an object the index does not know would only waste room
        throw;
    }
    return impl_->evict_if_over(cfg_.max_bytes);
}

void Store::abort(std::unique_ptr<Writer> w) {
    if (auto* wi = dynamic_cast<WriterImpl*>(w.get())) wi->abort();
}

std::vector<ObjectInfo> Store::variants(std::string_view url) const {
    std::vector<ObjectInfo> out;
    const IndexMap& m = impl_->index();
    std::uint64_t hi = object_key(url, "").hi;
    for (auto it = m.lower_bound(Id{hi, 0}); it != m.end() && it->first.hi == hi; ++it)
        if (sv(it->second.url) == url) out.push_back(impl_->info(it->first, it->second));
    return out;
}

std::optional<OpenObject> Store::open(std::string_view url, std::string_view variant, std::int64_t now) {
    Id key;
    Entry* e = impl_->find(url, variant, key);
    if (!e) return std::nullopt;
    std::string path = impl_->object_path(key);
    OpenObject o;
    o.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (o.fd < 0) {
        if (errno != ENOENT) io_error("cannot open", path);
        impl_->erase(key);  // the file vanished (removed by hand): forget it
        return std::nullopt;
    }
    try {
        o.object = decode_header(sv(e->header)).object;
    } catch (const DecodeError&) {
        impl_->erase(key);
        return std::nullopt;
    }
    e->last_access = now;  // in place: no allocation, so no growth
    impl_->touch(key);
    return o;
}

bool Store::touch(std::string_view url, std::string_view variant, std::int64_t now) {
    Id key;
    Entry* e = impl_->find(url, variant, key);
    if (!e) return false;
    e->last_access = now;
    impl_->touch(key);
    return true;
}

std::optional<StoredObject> Store::header(std::string_view url, std::string_view variant) const {
    Id key;
    const Entry* e = impl_->find(url, variant, key);
    if (!e) return std::nullopt;
    try {
        return decode_header(sv(e->header)).object;
    } catch (const DecodeError&) {
        return std::nullopt;
    }
}

void Store::update(const StoredObject& object, std::int64_t now) {
    Id key;
    Entry* e = impl_->find(object.url, object.variant, key);
    if (!e) return;  // evicted or removed meanwhile: nothing to update
    std::uint64_t body = e->body_size;
    std::uint64_t old_size = disk_size(*e);
    std::string blob = encode_header(object, body, now);
    std::string path = impl_->object_path(key);
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) io_error("cannot open", path);
        impl_->erase(key);
        return;
    }
    // Readers of the body are not disturbed: only bytes past it change.
    try {
        std::string t = with_trailer(blob);
        if (::ftruncate(fd, static_cast<off_t>(body)) != 0) io_error("cannot truncate", path);
        write_all(fd, t.data(), t.size(), path, static_cast<off_t>(body));
        ::close(fd);
    } catch (const Error&) {
        ::close(fd);
        impl_->erase(key);  // its trailer is gone: the file is not an object any more
        throw;
    }
    impl_->mutate([&] {
        Entry& en = impl_->index().find(key)->second;
        en.header.assign(blob.data(), blob.size());
        en.stored = now;
        en.last_access = now;
    });
    impl_->bytes = impl_->bytes - old_size + body + blob.size() + kTrailerBytes;
    impl_->touch(key);
    // No eviction here: a header changes the total by a few bytes, and the
    // next commit evicts.
}

bool Store::remove(std::string_view url, std::string_view variant) {
    Id key;
    if (!impl_->find(url, variant, key)) return false;
    impl_->erase(key);
    return true;
}

std::vector<ObjectInfo> Store::purge(std::string_view url_or_prefix, bool prefix) {
    std::vector<Id> keys;
    if (!prefix) {
        for (const auto& oi : variants(url_or_prefix)) keys.push_back(object_key(oi.url, oi.variant));
    } else {
        for (auto it = impl_->by_url.lower_bound({std::string(url_or_prefix), Id{}});
             it != impl_->by_url.end() && it->first.starts_with(url_or_prefix); ++it)
            keys.push_back(it->second);
    }
    std::vector<ObjectInfo> out;
    for (const Id& k : keys) out.push_back(impl_->erase(k));
    return out;
}

std::vector<ObjectInfo> Store::list(std::string_view prefix, std::size_t limit, std::string_view after) const {
    std::vector<ObjectInfo> out;
    std::string from(after > prefix ? after : prefix);
    for (auto it = impl_->by_url.lower_bound({from, Id{}});
         it != impl_->by_url.end() && out.size() < limit && it->first.starts_with(prefix); ++it) {
        if (!after.empty() && it->first <= after) continue;
        auto e = impl_->index().find(it->second);
        out.push_back(impl_->info(e->first, e->second));
    }
    return out;
}

StoreStats Store::stats() const {
    StoreStats s;
    s.objects = impl_->index().size();
    s.bytes = impl_->bytes;
    s.evictions = impl_->evictions;
    s.evicted_bytes = impl_->evicted_bytes;
    s.rebuilt = impl_->rebuilt;
    return s;
}

void Store::set_max_bytes(std::uint64_t max_bytes) {
    cfg_.max_bytes = max_bytes;
    impl_->evict_if_over(max_bytes);
}

}  // namespace sr::cache
