#include "cache/store.hpp"
#include "cache/store_format.hpp"

#include "core/error.hpp"
#include "error_capture.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

using namespace sr;
using sr::test::code_of;
using namespace sr::cache;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "sr-cache-store-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

StoreConfig config(const fs::path& dir, std::uint64_t max_bytes = 1ull << 30) {
    StoreConfig c;
    c.dir = (dir / "cache").string();
    c.max_bytes = max_bytes;
    return c;
}

StoredObject object(std::string url, std::string variant, std::size_t body_size, Headers headers = {}) {
    StoredObject o;
    o.url = std::move(url);
    o.variant = std::move(variant);
    o.response.status = 200;
    o.response.headers = headers.empty() ? Headers{{"Content-Type", "text/plain"}} : std::move(headers);
    o.response.request_time = 1000;
    o.response.response_time = 1001;
    o.body_size = body_size;
    return o;
}

std::vector<ObjectInfo> put(Store& s, const std::string& url, const std::string& variant, const std::string& body,
                            std::int64_t now = 2000, Headers headers = {}) {
    auto w = s.begin();
    w->write(body.data(), body.size());
    return s.commit(std::move(w), object(url, variant, body.size(), std::move(headers)), now);
}

std::string read_body(const OpenObject& o) {
    std::string b(o.object.body_size, '\0');
    std::size_t got = 0;
    while (got < b.size()) {
        ssize_t k = ::pread(o.fd, b.data() + got, b.size() - got, static_cast<off_t>(got));
        if (k <= 0) break;
        got += static_cast<std::size_t>(k);
    }
    b.resize(got);
    return b;
}

std::string body_of(Store& s, const std::string& url, const std::string& variant = "") {
    auto o = s.open(url, variant, 3000);
    return o ? read_body(*o) : std::string("<absent>");
}

std::size_t files_in(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) ++n;
    return n;
}

// A child process that runs `work`, then writes one byte to the pipe and
// waits to be killed. Returns its pid and the read end of the pipe.
std::pair<pid_t, int> spawn(const std::function<void()>& work) {
    int p[2];
    EXPECT_EQ(::pipe(p), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        char c = 'k';
        try {
            work();
        } catch (...) {
            c = 'x';
        }
        if (::write(p[1], &c, 1) != 1) ::_exit(1);
        for (;;) ::pause();
    }
    ::close(p[1]);
    return {pid, p[0]};
}

void kill_child(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
}

char ready_byte(int fd) {
    char c = 0;
    EXPECT_EQ(::read(fd, &c, 1), 1);
    ::close(fd);
    return c;
}

}  // namespace

TEST(CacheStore, RoundTrip) {
    TempDir t;
    Store s(config(t.path));
    EXPECT_FALSE(s.stats().rebuilt);
    auto w = s.begin();
    std::string body;
    for (int i = 0; i < 1000; ++i) body += "chunk " + std::to_string(i) + "\n";
    w->write(body.data(), 100);
    w->write(body.data() + 100, body.size() - 100);
    EXPECT_EQ(w->written(), body.size());
    EXPECT_TRUE(fs::exists(w->path()));
    std::string tmp = w->path();

    StoredObject o = object("http://example.com/a", "", body.size(), {{"ETag", "\"v1\""}, {"Vary", "x"}});
    o.request_headers = {{"X", "1"}};
    EXPECT_TRUE(s.commit(std::move(w), o, 2000).empty());
    EXPECT_FALSE(fs::exists(tmp));

    auto got = s.open(o.url, "", 2500);
    ASSERT_TRUE(got);
    EXPECT_EQ(read_body(*got), body);
    EXPECT_EQ(got->object.url, o.url);
    EXPECT_EQ(got->object.response.status, 200);
    EXPECT_EQ(got->object.response.headers, o.response.headers);
    EXPECT_EQ(got->object.response.request_time, 1000);
    EXPECT_EQ(got->object.response.response_time, 1001);
    EXPECT_EQ(got->object.request_headers, o.request_headers);
    EXPECT_EQ(got->object.body_size, body.size());

    auto vs = s.variants(o.url);
    ASSERT_EQ(vs.size(), 1u);
    EXPECT_EQ(vs[0].stored, 2000);
    EXPECT_EQ(vs[0].last_access, 2500);
    // objects/XY/KEY: [body][header][u32 len][SRO1]
    fs::path p = vs[0].path;
    EXPECT_TRUE(p.is_absolute());
    EXPECT_EQ(p.filename().string().size(), 32u);
    EXPECT_EQ(p.parent_path().filename().string(), p.filename().string().substr(0, 2));
    std::ifstream in(p, std::ios::binary);
    std::string file((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(file.substr(0, body.size()), body);
    EXPECT_EQ(file.substr(file.size() - 4), "SRO1");
    EXPECT_EQ(s.stats().bytes, file.size());
    EXPECT_EQ(s.stats().objects, 1u);

    EXPECT_TRUE(s.header(o.url, ""));
    EXPECT_FALSE(s.header(o.url, "other"));
    EXPECT_FALSE(s.open("http://example.com/b", "", 2500));

    int fd = got->release();
    EXPECT_GE(fd, 0);
    EXPECT_EQ(got->fd, -1);
    ::close(fd);

    // A body_size that does not match what was written is refused.
    auto w2 = s.begin();
    w2->write("abc", 3);
    EXPECT_EQ(code_of([&] { s.commit(std::move(w2), object("http://example.com/c", "", 4), 2000); }), "invalid");
    EXPECT_EQ(files_in(fs::path(s.config().dir) / "tmp"), 0u);

    // abort() leaves nothing behind.
    auto w3 = s.begin();
    w3->write("abc", 3);
    s.abort(std::move(w3));
    EXPECT_EQ(files_in(fs::path(s.config().dir) / "tmp"), 0u);
    EXPECT_EQ(s.stats().objects, 1u);
}

TEST(CacheStore, VariantsOfOneUrl) {
    TempDir t;
    Store s(config(t.path));
    const std::string url = "http://example.com/v";
    put(s, url, "", "plain");
    put(s, url, "gzip", "gzipped");
    put(s, url, "br", "brotli");
    put(s, url + "x", "gzip", "other url");
    auto vs = s.variants(url);
    ASSERT_EQ(vs.size(), 3u);
    std::set<std::string> names;
    for (const auto& v : vs) {
        EXPECT_EQ(v.url, url);
        names.insert(v.variant);
    }
    EXPECT_EQ(names, (std::set<std::string>{"", "gzip", "br"}));
    EXPECT_EQ(body_of(s, url, ""), "plain");
    EXPECT_EQ(body_of(s, url, "gzip"), "gzipped");
    EXPECT_EQ(body_of(s, url, "br"), "brotli");

    // Replacing one variant keeps one file for it and fixes the byte count.
    std::uint64_t before = s.stats().bytes;
    put(s, url, "gzip", "gzipped, longer");
    EXPECT_EQ(body_of(s, url, "gzip"), "gzipped, longer");
    EXPECT_EQ(s.stats().objects, 4u);
    EXPECT_EQ(s.stats().bytes, before + 8);
    EXPECT_EQ(files_in(fs::path(s.config().dir) / "objects"), 4u);

    EXPECT_TRUE(s.remove(url, "br"));
    EXPECT_FALSE(s.remove(url, "br"));
    EXPECT_EQ(s.variants(url).size(), 2u);
    EXPECT_EQ(files_in(fs::path(s.config().dir) / "objects"), 3u);

    // A vanished file: open() says absent and forgets the entry.
    fs::remove(s.variants(url + "x")[0].path);
    EXPECT_FALSE(s.open(url + "x", "gzip", 3000));
    EXPECT_TRUE(s.variants(url + "x").empty());
    EXPECT_EQ(s.stats().objects, 2u);
}

TEST(CacheStore, PersistsAcrossCleanReopen) {
    TempDir t;
    std::uint64_t bytes = 0;
    {
        Store s(config(t.path));
        put(s, "http://a/1", "", "one", 2000);
        put(s, "http://a/2", "gzip", "two", 2001);
        put(s, "http://a/3", "", "three", 2002);
        ASSERT_TRUE(s.open("http://a/1", "", 2100));  // now the most recently used
        bytes = s.stats().bytes;
    }
    {
        Store s(config(t.path));
        EXPECT_FALSE(s.stats().rebuilt);
        EXPECT_EQ(s.stats().objects, 3u);
        EXPECT_EQ(s.stats().bytes, bytes);
        EXPECT_EQ(body_of(s, "http://a/2", "gzip"), "two");
        auto vs = s.variants("http://a/1");
        ASSERT_EQ(vs.size(), 1u);
        EXPECT_EQ(vs[0].last_access, 2100);
        EXPECT_EQ(vs[0].stored, 2000);
        // The LRU order came back from last_access: 2 was just opened and 1
        // at 2100, so 3 is the least recently used.
        s.set_max_bytes(bytes - 1);
        EXPECT_TRUE(s.variants("http://a/3").empty());
        EXPECT_EQ(s.variants("http://a/1").size(), 1u);
    }
}

TEST(CacheStore, UncleanShutdownRebuilds) {
    TempDir t;
    {
        // A clean index first, so the rebuild below comes from the child
        // having marked it dirty, not from its being new.
        Store s(config(t.path));
        put(s, "http://a/0", "", "before", 1990);
    }
    auto [pid, fd] = spawn([&] {
        auto* s = new Store(config(t.path));  // never closed: the child dies holding it
        put(*s, "http://a/1", "", "committed one", 2000);
        put(*s, "http://a/2", "br", "committed two", 2001);
        auto w = s->begin();
        w->write("partial", 7);
        w.release();  // the tmp file stays while the child is killed
    });
    EXPECT_EQ(ready_byte(fd), 'k');
    // The lock is held until the child dies.
    EXPECT_EQ(code_of([&] { Store s(config(t.path)); }), "busy");
    kill_child(pid);
    fs::path tmp = fs::path(config(t.path).dir) / "tmp";
    EXPECT_EQ(files_in(tmp), 1u);

    Store s(config(t.path));
    EXPECT_TRUE(s.stats().rebuilt);
    EXPECT_EQ(s.stats().objects, 3u);
    EXPECT_EQ(body_of(s, "http://a/0"), "before");
    EXPECT_EQ(body_of(s, "http://a/1"), "committed one");
    EXPECT_EQ(body_of(s, "http://a/2", "br"), "committed two");
    auto h = s.header("http://a/2", "br");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->response.headers, (Headers{{"Content-Type", "text/plain"}}));
    EXPECT_EQ(s.variants("http://a/2")[0].stored, 2001);
    EXPECT_EQ(files_in(tmp), 0u);
    EXPECT_EQ(s.list("", 100).size(), 3u);
}

TEST(CacheStore, SecondProcessIsBusy) {
    TempDir t;
    {
        Store s(config(t.path));
        put(s, "http://a/1", "", "x");
    }
    // The parent holds no Store while forking, so the child's result comes
    // from the file lock alone.
    auto [pid, fd] = spawn([&] { new Store(config(t.path)); });  // held until killed
    EXPECT_EQ(ready_byte(fd), 'k');
    EXPECT_EQ(code_of([&] { Store s(config(t.path)); }), "busy");
    kill_child(pid);
    Store s(config(t.path));  // a dead holder's lock is gone
    EXPECT_TRUE(s.stats().rebuilt);
    EXPECT_EQ(body_of(s, "http://a/1"), "x");

    // Holder in the parent, contender in a child.
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    pid_t child = ::fork();
    if (child == 0) {
        std::string code = code_of([&] { Store again(config(t.path)); });
        char c = code == "busy" ? 'b' : 'n';
        (void)!::write(p[1], &c, 1);
        ::_exit(0);
    }
    ::close(p[1]);
    EXPECT_EQ(ready_byte(p[0]), 'b');
    int status = 0;
    ::waitpid(child, &status, 0);

    // In this process too.
    EXPECT_EQ(code_of([&] { Store again(config(t.path)); }), "busy");
    EXPECT_EQ(body_of(s, "http://a/1"), "x");
}

TEST(CacheStore, CorruptFilesDeletedAtRebuild) {
    TempDir t;
    fs::path objects = fs::path(config(t.path).dir) / "objects";
    std::string bad_magic, truncated, renamed;
    {
        Store s(config(t.path));
        put(s, "http://a/good", "", "good body");
        put(s, "http://a/magic", "", "body");
        put(s, "http://a/short", "", "body");
        put(s, "http://a/moved", "", "body");
        bad_magic = s.variants("http://a/magic")[0].path;
        truncated = s.variants("http://a/short")[0].path;
        renamed = s.variants("http://a/moved")[0].path;
    }
    {
        std::fstream f(bad_magic, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(-1, std::ios::end);
        f.put('2');
    }
    fs::resize_file(truncated, fs::file_size(truncated) - 1);
    fs::rename(renamed, objects / "00" / "00000000000000000000000000000000");
    std::ofstream(objects / "ab" / "junk") << "junk";
    fs::remove(fs::path(config(t.path).dir) / "index");

    Store s(config(t.path));
    EXPECT_TRUE(s.stats().rebuilt);
    EXPECT_EQ(s.stats().objects, 1u);
    EXPECT_EQ(body_of(s, "http://a/good"), "good body");
    EXPECT_FALSE(fs::exists(bad_magic));
    EXPECT_FALSE(fs::exists(truncated));
    EXPECT_FALSE(fs::exists(objects / "00" / "00000000000000000000000000000000"));
    EXPECT_FALSE(fs::exists(objects / "ab" / "junk"));
    EXPECT_EQ(files_in(objects), 1u);
}

TEST(CacheStore, GarbageIndexIsRebuilt) {
    TempDir t;
    fs::path index = fs::path(config(t.path).dir) / "index";
    {
        Store s(config(t.path));
        put(s, "http://a/1", "", "one");
    }
    // Zeros (Boost would wait forever on such a segment), then random bytes.
    for (char fill : {'\0', '\x5a'}) {
        auto size = fs::file_size(index);
        {
            std::ofstream f(index, std::ios::binary | std::ios::trunc);
            f << std::string(size, fill);
        }
        Store s(config(t.path));
        EXPECT_TRUE(s.stats().rebuilt);
        EXPECT_EQ(body_of(s, "http://a/1"), "one");
    }
}

TEST(CacheStore, LruEvictionToLowWater) {
    TempDir t;
    Store s(config(t.path));
    // URLs of one length so every object takes the same room on disk.
    auto url = [](int i) { return "http://example.com/obj" + std::to_string(100 + i); };
    const std::string body(1000, 'b');
    put(s, url(0), "", body, 2000);
    const std::uint64_t each = s.stats().bytes;
    s.set_max_bytes(20 * each);
    for (int i = 1; i < 20; ++i) EXPECT_TRUE(put(s, url(i), "", body, 2000 + i).empty());
    EXPECT_EQ(s.stats().bytes, 20 * each);
    // Touch 0 and 1: now 2, 3, ... are the least recently used.
    ASSERT_TRUE(s.open(url(0), "", 3000));
    ASSERT_TRUE(s.open(url(1), "", 3001));

    auto evicted = put(s, url(20), "", body, 3002);
    // 21 objects, down to 95% of 20: 19 remain, so 2 go, in LRU order.
    ASSERT_EQ(evicted.size(), 2u);
    EXPECT_EQ(evicted[0].url, url(2));
    EXPECT_EQ(evicted[1].url, url(3));
    EXPECT_FALSE(fs::exists(evicted[0].path));
    EXPECT_EQ(s.stats().objects, 19u);
    EXPECT_EQ(s.stats().bytes, 19 * each);
    EXPECT_LE(s.stats().bytes, 20 * each - 20 * each / 20);
    EXPECT_EQ(s.stats().evictions, 2u);
    EXPECT_EQ(s.stats().evicted_bytes, 2 * each);
    EXPECT_EQ(s.variants(url(0)).size(), 1u);
    EXPECT_EQ(s.variants(url(1)).size(), 1u);
    EXPECT_TRUE(s.variants(url(2)).empty());

    // Lowering the bound evicts at once, oldest first.
    s.set_max_bytes(10 * each);
    EXPECT_EQ(s.stats().objects, 9u);
    EXPECT_EQ(s.variants(url(1)).size(), 1u);
    EXPECT_EQ(s.variants(url(20)).size(), 1u);
    EXPECT_TRUE(s.variants(url(12)).empty());
}

TEST(CacheStore, UpdateAfter304KeepsBody) {
    TempDir t;
    const std::string url = "http://a/304";
    {
        Store s(config(t.path));
        put(s, url, "gzip", "the body stays", 2000, {{"ETag", "\"1\""}});
        auto reader = s.open(url, "gzip", 2001);  // a reader holds the file
        ASSERT_TRUE(reader);

        StoredObject o = object(url, "gzip", 14, {{"ETag", "\"1\""}, {"Cache-Control", "max-age=600"}});
        o.response.response_time = 5000;
        s.update(o, 5000);
        EXPECT_EQ(read_body(*reader), "the body stays");

        auto h = s.header(url, "gzip");
        ASSERT_TRUE(h);
        EXPECT_EQ(h->response.headers, o.response.headers);
        EXPECT_EQ(h->response.response_time, 5000);
        EXPECT_EQ(body_of(s, url, "gzip"), "the body stays");
        auto v = s.variants(url)[0];
        EXPECT_EQ(v.stored, 5000);
        EXPECT_EQ(s.stats().bytes, fs::file_size(v.path));

        s.update(object("http://a/absent", "", 1), 5000);  // nothing to update
        EXPECT_EQ(s.stats().objects, 1u);
    }
    // The trailer on disk was rewritten too: a rebuild reads the new header.
    fs::remove(fs::path(config(t.path).dir) / "index");
    Store s(config(t.path));
    EXPECT_TRUE(s.stats().rebuilt);
    auto h = s.header(url, "gzip");
    ASSERT_TRUE(h);
    EXPECT_EQ(*get_header(h->response.headers, "cache-control"), "max-age=600");
    EXPECT_EQ(body_of(s, url, "gzip"), "the body stays");
    EXPECT_EQ(s.variants(url)[0].stored, 5000);
}

TEST(CacheStore, PurgeByPrefix) {
    TempDir t;
    Store s(config(t.path));
    put(s, "http://a/x/1", "", "1");
    put(s, "http://a/x/1", "gzip", "1z");
    put(s, "http://a/x/10", "", "10");
    put(s, "http://a/x/2", "", "2");
    put(s, "http://a/y", "", "y");
    put(s, "http://b/x/1", "", "b");

    auto exact = s.purge("http://a/x/1", false);
    EXPECT_EQ(exact.size(), 2u);
    EXPECT_EQ(s.variants("http://a/x/10").size(), 1u);

    auto removed = s.purge("http://a/x/", true);
    std::set<std::string> urls;
    for (const auto& r : removed) {
        urls.insert(r.url);
        EXPECT_FALSE(fs::exists(r.path));
    }
    EXPECT_EQ(urls, (std::set<std::string>{"http://a/x/10", "http://a/x/2"}));
    EXPECT_EQ(s.stats().objects, 2u);
    EXPECT_EQ(body_of(s, "http://a/y"), "y");
    EXPECT_EQ(body_of(s, "http://b/x/1"), "b");
    EXPECT_TRUE(s.purge("http://nothing/", true).empty());
    EXPECT_EQ(files_in(fs::path(s.config().dir) / "objects"), 2u);
}

TEST(CacheStore, ListByPrefixWithLimit) {
    TempDir t;
    Store s(config(t.path));
    for (const char* u : {"http://a/d", "http://a/b", "http://c/a", "http://a/a", "http://a/c", "http://b/"})
        put(s, u, "", u);
    auto l = s.list("http://a/", 3);
    ASSERT_EQ(l.size(), 3u);
    EXPECT_EQ(l[0].url, "http://a/a");
    EXPECT_EQ(l[1].url, "http://a/b");
    EXPECT_EQ(l[2].url, "http://a/c");
    EXPECT_EQ(s.list("http://a/", 100).size(), 4u);
    EXPECT_EQ(s.list("", 100).size(), 6u);
    EXPECT_EQ(s.list("", 100).back().url, "http://c/a");
    EXPECT_TRUE(s.list("http://z", 10).empty());
    EXPECT_TRUE(s.list("http://a/", 0).empty());
    // The next page: after the last URL of this one.
    auto next = s.list("http://a/", 3, "http://a/c");
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].url, "http://a/d");
    EXPECT_EQ(s.list("", 100, "http://b/").size(), 1u);
    EXPECT_TRUE(s.list("http://a/", 10, "http://a/d").empty());
}

TEST(CacheStore, IndexGrowsPastInitialSize) {
    TempDir t;
    fs::path index = fs::path(config(t.path).dir) / "index";
    const int n = 3000;
    auto url = [](int i) { return "http://example.com/" + std::string(1000, 'p') + "/" + std::to_string(i); };
    std::uintmax_t initial = 0;
    {
        Store s(config(t.path));
        initial = fs::file_size(index);
        for (int i = 0; i < n; ++i) put(s, url(i), i % 2 ? "gzip" : "", "body " + std::to_string(i), 2000 + i);
        EXPECT_GT(fs::file_size(index), initial);
        EXPECT_EQ(s.stats().objects, static_cast<std::uint64_t>(n));
        EXPECT_EQ(body_of(s, url(0)), "body 0");
        EXPECT_EQ(body_of(s, url(n - 1), "gzip"), "body " + std::to_string(n - 1));
    }
    Store s(config(t.path));
    EXPECT_FALSE(s.stats().rebuilt);
    EXPECT_EQ(s.stats().objects, static_cast<std::uint64_t>(n));
    for (int i = 0; i < n; i += 97) {
        auto vs = s.variants(url(i));
        ASSERT_EQ(vs.size(), 1u) << i;
        EXPECT_EQ(vs[0].stored, 2000 + i);
        EXPECT_EQ(body_of(s, url(i), i % 2 ? "gzip" : ""), "body " + std::to_string(i));
    }
    EXPECT_EQ(s.list("http://example.com/", 10).size(), 10u);
}

TEST(CacheStore, HeaderFormat) {
    StoredObject o = object("http://a/f", "gzip", 42, {{"ETag", "\"x\""}});
    o.request_headers = {{"Accept-Encoding", "gzip"}};
    o.response.request_time = -5;
    std::string blob = format::encode_header(o, 42, 7000);
    auto d = format::decode_header(blob);
    EXPECT_EQ(d.stored, 7000);
    EXPECT_EQ(d.object.url, o.url);
    EXPECT_EQ(d.object.variant, o.variant);
    EXPECT_EQ(d.object.response.headers, o.response.headers);
    EXPECT_EQ(d.object.response.request_time, -5);
    EXPECT_EQ(d.object.request_headers, o.request_headers);
    EXPECT_EQ(d.object.body_size, 42u);
    // Every truncation, and a few corruptions, are refused with DecodeError.
    for (std::size_t n = 0; n < blob.size(); ++n)
        EXPECT_THROW(format::decode_header(blob.substr(0, n)), DecodeError) << n;
    EXPECT_THROW(format::decode_header(blob + "x"), DecodeError);
    EXPECT_THROW(format::decode_header("\xc1"), DecodeError);
    std::string t = format::with_trailer(blob);
    ASSERT_EQ(t.size(), blob.size() + format::kTrailerBytes);
    EXPECT_EQ(format::parse_trailer(t.data() + t.size() - 8), blob.size());
    t.back() = '0';
    EXPECT_FALSE(format::parse_trailer(t.data() + t.size() - 8));
    // Keys: the variants of one URL share the high half.
    EXPECT_EQ(format::object_key("http://a/f", "").hi, format::object_key("http://a/f", "gzip").hi);
    EXPECT_NE(format::object_key("http://a/f", "").lo, format::object_key("http://a/f", "gzip").lo);
    EXPECT_NE(format::object_key("http://a/f", "").hi, format::object_key("http://a/g", "").hi);
}
