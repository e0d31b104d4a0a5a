// The ALTO HTTP server and client (lib/prox/alto_http) on a real loop: the
// server listens on 127.0.0.1:0, clients in the same process are
// http_fetch() and a raw socket run from a helper thread (the loop thread
// polls for its end, so no libevent call crosses threads).
#include "prox/alto_http.hpp"

#include "alto_test_model.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

using namespace sr::prox;
using json = nlohmann::json;
using sr::prox::alto_fixture::RfcModel;

namespace {

// libevent writes without MSG_NOSIGNAL; daemons ignore SIGPIPE (daemon.cpp).
const bool sigpipe_ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}();

// Runs one http_fetch to completion.
HttpResult fetch_sync(sr::Loop& loop, const HttpFetch& f) {
    HttpResult out;
    bool done = false;
    sr::Timer guard(loop, [&] { loop.stop(); });
    guard.arm_in(15'000'000);
    http_fetch(loop, f, [&](HttpResult r) {
        out = std::move(r);
        done = true;
        loop.stop();
    });
    loop.run();
    EXPECT_TRUE(done) << "no callback for " << f.url;
    return out;
}

HttpResult get(sr::Loop& loop, std::uint16_t port, const std::string& path, const std::string& accept = "") {
    HttpFetch f;
    f.url = "http://127.0.0.1:" + std::to_string(port) + path;
    f.accept = accept;
    return fetch_sync(loop, f);
}

HttpResult post(sr::Loop& loop, std::uint16_t port, const std::string& path, std::string_view type, std::string body) {
    HttpFetch f;
    f.url = "http://127.0.0.1:" + std::to_string(port) + path;
    f.method = "POST";
    f.content_type = std::string(type);
    f.body = std::move(body);
    return fetch_sync(loop, f);
}

// Sends raw bytes from another thread and returns all the server wrote back
// before closing (or before 5 s of silence).
std::string raw_exchange(sr::Loop& loop, int family, std::uint16_t port, std::string request, bool half_close = true) {
    std::atomic<bool> finished{false};
    std::string response;
    std::thread client([&] {
        int fd = socket(family, SOCK_STREAM, 0);
        timeval tv{5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_storage ss{};
        socklen_t len;
        if (family == AF_INET) {
            auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
            sin->sin_family = AF_INET;
            sin->sin_port = htons(port);
            inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
            len = sizeof *sin;
        } else {
            auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons(port);
            inet_pton(AF_INET6, "::1", &sin6->sin6_addr);
            len = sizeof *sin6;
        }
        if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
            for (std::size_t off = 0; off < request.size();) {
                ssize_t n = send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
                if (n <= 0) break;
                off += static_cast<std::size_t>(n);
            }
            if (half_close) shutdown(fd, SHUT_WR);
            char buf[4096];
            for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, static_cast<std::size_t>(n));
        }
        close(fd);
        finished = true;
    });
    std::function<void()> check;
    sr::Timer tick(loop, [&] { check(); });
    check = [&] {
        if (finished) loop.stop();
        else tick.arm_in(5'000);
    };
    tick.arm_in(5'000);
    loop.run();
    client.join();
    return response;
}

struct AltoHttp : ::testing::Test {
    sr::Loop loop;
    RfcModel model;
    std::unique_ptr<AltoHttpServer> server;

    void SetUp() override {
        AltoHttpConfig c;
        c.listen = "127.0.0.1:0";
        c.alto.networkmap_id = "my-default-network-map";
        c.max_body = 64 << 10;
        server = std::make_unique<AltoHttpServer>(loop, model, c);
    }
    std::uint16_t port() const { return server->port(); }
};

}  // namespace

TEST_F(AltoHttp, DirectoryWithUrisOfTheBoundPort) {
    ASSERT_NE(port(), 0);
    auto r = get(loop, port(), "/directory", "application/alto-directory+json,application/alto-error+json");
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/alto-directory+json");
    auto ird = json::parse(r.body);
    std::string base = "http://127.0.0.1:" + std::to_string(port());
    EXPECT_EQ(server->alto_config().base_url, base);
    EXPECT_EQ(ird["resources"]["my-default-network-map"]["uri"], base + "/networkmap");
    EXPECT_EQ(ird["resources"]["endpoint-cost"]["uri"], base + "/endpointcost/lookup");
    EXPECT_EQ(server->stats().requests, 1u);
}

TEST_F(AltoHttp, NetworkMapAndCostMap) {
    auto r = get(loop, port(), "/networkmap", "application/alto-networkmap+json");
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.content_type, "application/alto-networkmap+json");
    auto nm = json::parse(r.body);
    EXPECT_EQ(nm["meta"]["vtag"]["tag"], model.ver);
    EXPECT_EQ(nm["network-map"]["PID3"]["ipv6"], json::array({"::/0"}));

    // The model's version moves: the next answer carries the new tag.
    model.ver = "changed-1";
    r = get(loop, port(), "/costmap/routingcost/num");
    ASSERT_EQ(r.status, 200);
    auto cm = json::parse(r.body);
    EXPECT_EQ(cm["meta"]["dependent-vtags"][0]["tag"], "changed-1");
    EXPECT_EQ(cm["cost-map"]["PID3"]["PID1"], 20);
}

TEST_F(AltoHttp, PostEndpointCost) {
    auto r = post(loop, port(), "/endpointcost/lookup", kAltoEndpointCostParams,
                  R"({"cost-type": {"cost-mode": "numerical", "cost-metric": "routingcost"},
                      "endpoints": {"srcs": ["ipv4:192.0.2.2"], "dsts": ["ipv4:198.51.100.200", "ipv4:203.0.113.45"]}})");
    ASSERT_EQ(r.status, 200) << r.error << r.body;
    EXPECT_EQ(r.content_type, "application/alto-endpointcost+json");
    EXPECT_EQ(json::parse(r.body)["endpoint-cost-map"],
              json::parse(R"({"ipv4:192.0.2.2": {"ipv4:198.51.100.200": 5, "ipv4:203.0.113.45": 10}})"));

    // No srcs: the client's own address (127.0.0.1, in PID3 by 0.0.0.0/0).
    r = post(loop, port(), "/endpointcost/lookup", kAltoEndpointCostParams,
             R"({"cost-type": {"cost-mode": "numerical", "cost-metric": "routingcost"},
                 "endpoints": {"dsts": ["ipv4:192.0.2.1"]}})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["endpoint-cost-map"], json::parse(R"({"ipv4:127.0.0.1": {"ipv4:192.0.2.1": 20}})"));
}

TEST_F(AltoHttp, ErrorsOverHttp) {
    auto r = post(loop, port(), "/costmap/filtered", kAltoCostMapFilter, "{not json");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.content_type, "application/alto-error+json");
    EXPECT_EQ(json::parse(r.body)["meta"]["code"], "E_SYNTAX");
    EXPECT_EQ(post(loop, port(), "/costmap/filtered", "application/json", "{}").status, 415);
    EXPECT_EQ(get(loop, port(), "/networkmap", "text/html").status, 406);
    EXPECT_EQ(get(loop, port(), "/nothing/here").status, 404);

    // 405 carries Allow; other methods than GET/POST reach the ALTO layer too.
    auto raw = raw_exchange(loop, AF_INET, port(), "DELETE /networkmap HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(raw.rfind("HTTP/1.1 405", 0), 0u) << raw;
    EXPECT_NE(raw.find("Allow: GET, HEAD\r\n"), std::string::npos) << raw;
    EXPECT_EQ(server->stats().client_errors, 5u);
}

TEST_F(AltoHttp, RawRequestHeadersAndHead) {
    auto raw = raw_exchange(loop, AF_INET, port(),
                            "GET /costmap/hopcount/num HTTP/1.1\r\nHost: x\r\nAccept: application/*\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << raw;
    EXPECT_NE(raw.find("Content-Type: application/alto-costmap+json\r\n"), std::string::npos) << raw;
    auto body = raw.substr(raw.find("\r\n\r\n") + 4);
    EXPECT_EQ(json::parse(body)["meta"]["cost-type"]["cost-metric"], "hopcount");
    raw = raw_exchange(loop, AF_INET, port(), "HEAD /networkmap HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw;
    EXPECT_EQ(raw.substr(raw.find("\r\n\r\n") + 4), "");
    auto cl = raw.find("Content-Length: ");
    ASSERT_NE(cl, std::string::npos) << raw;
    EXPECT_NE(raw.substr(cl, 20), "Content-Length: 0\r\n") << raw;
    EXPECT_EQ(raw.find("Content-Length: ", cl + 1), std::string::npos) << raw;
}

TEST_F(AltoHttp, BodyTooLargeIs413) {
    // Announced by Content-Length: refused before the body is read.
    auto raw = raw_exchange(loop, AF_INET, port(),
                            "POST /endpointcost/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: "
                            "application/alto-endpointcostparams+json\r\nContent-Length: 10000000\r\n\r\n{",
                            false);
    EXPECT_EQ(raw.rfind("HTTP/1.1 413", 0), 0u) << raw;
    // Sent in full by the client helper: evhttp answers 413 and closes while
    // the client is still writing, so the client may see the reset instead.
    auto r = post(loop, port(), "/endpointcost/lookup", kAltoEndpointCostParams, std::string(100 << 10, ' '));
    EXPECT_TRUE(r.status == 413 || r.status == 0) << r.status << " " << r.error;
    std::cerr << "100 KiB POST: " << r.status << " " << r.error << "\n";  // evhttp may close before the client reads
    // Just under the limit is read and parsed (and is no valid request).
    r = post(loop, port(), "/endpointcost/lookup", kAltoEndpointCostParams, std::string(60 << 10, ' '));
    EXPECT_EQ(r.status, 400);
}

TEST(AltoHttpServer, Ipv6AndBadListenAddresses) {
    sr::Loop loop;
    RfcModel model;
    AltoHttpConfig c;
    c.listen = "[::1]:0";
    std::unique_ptr<AltoHttpServer> server;
    try {
        server = std::make_unique<AltoHttpServer>(loop, model, c);
    } catch (const sr::Error& e) {
        GTEST_SKIP() << "no IPv6 loopback: " << e.what();
    }
    EXPECT_EQ(server->alto_config().base_url, "http://[::1]:" + std::to_string(server->port()));
    HttpFetch f;
    f.url = server->alto_config().base_url + "/directory";
    auto r = fetch_sync(loop, f);
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(json::parse(r.body)["resources"]["networkmap"]["uri"], server->alto_config().base_url + "/networkmap");
    auto raw = raw_exchange(loop, AF_INET6, server->port(), "GET /networkmap HTTP/1.0\r\n\r\n");
    EXPECT_EQ(raw.rfind("HTTP/1.", 0), 0u) << raw;
    EXPECT_NE(raw.find(" 200 "), std::string::npos) << raw;

    for (auto bad : {"127.0.0.1", "::1:80", "[::1:80", "127.0.0.1:99999", "127.0.0.1:x", "localhost:80", ":80"}) {
        c.listen = bad;
        EXPECT_THROW(AltoHttpServer(loop, model, c), sr::Error) << bad;
    }
    auto [host, port] = sr::parse_listen("[2001:db8::1]:8080");
    EXPECT_EQ(host, "2001:db8::1");
    EXPECT_EQ(port, 8080);
}

TEST(AltoHttpClient, Failures) {
    sr::Loop loop;
    // Nothing listens on a port we just closed.
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    socklen_t len = sizeof sin;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    std::uint16_t closed_port = ntohs(sin.sin_port);
    close(fd);

    HttpFetch f;
    f.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/directory";
    auto r = fetch_sync(loop, f);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error, "");

    f.url = "ftp://127.0.0.1/x";
    r = fetch_sync(loop, f);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("not an http"), std::string::npos) << r.error;

    // A server that accepts and never answers: the timeout ends the fetch.
    int silent = socket(AF_INET, SOCK_STREAM, 0);
    sin.sin_port = 0;
    bind(silent, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    listen(silent, 4);
    getsockname(silent, reinterpret_cast<sockaddr*>(&sin), &len);
    f.url = "http://127.0.0.1:" + std::to_string(ntohs(sin.sin_port)) + "/directory";
    f.timeout_s = 1;
    r = fetch_sync(loop, f);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.error, "timed out");
    close(silent);
}
