// Gateway mode (lib/prox/alto_remote): AltoMaps parsed from ALTO documents,
// and RemoteAltoModel refreshing from our own AltoHttpServer in-process,
// then served again by a second server (the gateway's client node).
#include "prox/alto_remote.hpp"

#include "alto_test_model.hpp"
#include "core/error.hpp"
#include "prox/alto.hpp"
#include "prox/alto_http.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace sr::prox;
using json = nlohmann::json;
using sr::prox::alto_fixture::A;
using sr::prox::alto_fixture::RfcModel;

namespace {

const bool sigpipe_ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}();

json answer(const AltoModel& m, const std::string& path) {
    AltoRequest r;
    r.method = "GET";
    r.path = path;
    return json::parse(handle_alto(m, AltoConfig{}, r).body);
}

struct RefreshResult {
    bool called = false, changed = false;
    std::string error;
};

RefreshResult refresh_sync(sr::Loop& loop, RemoteAltoModel& remote) {
    RefreshResult out;
    sr::Timer guard(loop, [&] { loop.stop(); });
    guard.arm_in(15'000'000);
    remote.refresh([&](bool changed, const std::string& error) {
        out = {true, changed, error};
        loop.stop();
    });
    if (!out.called) loop.run();
    return out;
}

}  // namespace

TEST(AltoMaps, FromOurOwnDocuments) {
    RfcModel m;
    m.hops[{"PID1", "PID2"}] = 3;
    auto maps = AltoMaps::from_json(answer(m, "/networkmap"), answer(m, "/costmap/routingcost/num"),
                                    nullptr);
    EXPECT_EQ(maps->pids(), (std::vector<std::string>{"PID1", "PID2", "PID3"}));
    EXPECT_EQ(maps->networkmap_tag(), m.ver);
    EXPECT_EQ(maps->pid_of(A("192.0.2.34")), "PID1");
    EXPECT_EQ(maps->pid_of(A("198.51.100.200")), "PID2");
    EXPECT_EQ(maps->pid_of(A("203.0.113.1")), "PID3");
    EXPECT_EQ(maps->pid_of(A("2001:db8::1")), "PID3");
    EXPECT_EQ(maps->pid_cost("PID3", "PID1", Metric::routingcost), 20);
    EXPECT_EQ(maps->pid_cost("PID3", "PID3", Metric::routingcost), std::nullopt);
    EXPECT_EQ(maps->pid_cost("PID1", "PID2", Metric::hopcount), std::nullopt);
    // The maps answer ALTO requests exactly as the original model does.
    EXPECT_EQ(answer(*maps, "/costmap/routingcost/ord")["cost-map"], answer(m, "/costmap/routingcost/ord")["cost-map"]);
    EXPECT_EQ(answer(*maps, "/networkmap")["network-map"], answer(m, "/networkmap")["network-map"]);

    auto with_hops = AltoMaps::from_json(answer(m, "/networkmap"), answer(m, "/costmap/routingcost/num"),
                                         std::make_unique<json>(answer(m, "/costmap/hopcount/num")).get());
    EXPECT_EQ(with_hops->pid_cost("PID1", "PID2", Metric::hopcount), 3);
    EXPECT_NE(with_hops->version(), maps->version());  // same network map, other costs
}

TEST(AltoMaps, RefusesMalformedDocuments) {
    RfcModel m;
    auto nm = answer(m, "/networkmap");
    auto cm = answer(m, "/costmap/routingcost/num");
    auto expect_bad = [&](json n, json c) { EXPECT_THROW(AltoMaps::from_json(n, c, nullptr), sr::DecodeError); };
    json x = nm;
    x["network-map"]["PID1"]["ipv4"].push_back("::/0");  // wrong family
    expect_bad(x, cm);
    x = nm;
    x["network-map"]["PID1"]["ipv4"].push_back("192.0.2.0/33");
    expect_bad(x, cm);
    x = nm;
    x["network-map"]["bad pid"] = json::object();
    expect_bad(x, cm);
    x = nm;
    x["meta"].erase("vtag");
    expect_bad(x, cm);
    x = cm;
    x["meta"]["dependent-vtags"][0]["tag"] = "other-version";
    expect_bad(nm, x);
    x = cm;
    x["meta"]["cost-type"]["cost-mode"] = "ordinal";
    expect_bad(nm, x);
    x = cm;
    x["cost-map"]["PID1"]["PID2"] = "5";
    expect_bad(nm, x);
    expect_bad(json::array(), cm);
    // Unknown address types and PIDs missing from the network map are ignored.
    x = nm;
    x["network-map"]["PID2"]["mac"] = json::array({"00:11:22:33:44:55"});
    json c = cm;
    c["cost-map"]["GHOST"] = {{"PID1", 1}};
    EXPECT_NO_THROW(AltoMaps::from_json(x, c, nullptr));
}

TEST(AltoMaps, ResolveUri) {
    EXPECT_EQ(resolve_alto_uri("http://h:1/directory", "http://o/x"), "http://o/x");
    EXPECT_EQ(resolve_alto_uri("http://h:1/alto/directory", "/networkmap"), "http://h:1/networkmap");
    EXPECT_EQ(resolve_alto_uri("http://h:1/alto/directory?x", "costmap/a"), "http://h:1/alto/costmap/a");
    EXPECT_EQ(resolve_alto_uri("http://h:1", "networkmap"), "http://h:1/networkmap");
}

TEST(RemoteAltoModel, RefreshesFromAnUpstreamServerAndServesIt) {
    sr::Loop loop;
    RfcModel upstream_model;
    upstream_model.hops[{"PID1", "PID3"}] = 4;
    AltoHttpConfig uc;
    uc.listen = "127.0.0.1:0";
    uc.alto.base_url = "";  // from the bound port
    AltoHttpServer upstream(loop, upstream_model, uc);

    RemoteAltoModel remote(loop, upstream.alto_config().base_url + "/directory", 5);
    EXPECT_FALSE(remote.ready());
    EXPECT_TRUE(remote.pids().empty());

    auto r = refresh_sync(loop, remote);
    ASSERT_TRUE(r.called);
    ASSERT_EQ(r.error, "");
    EXPECT_TRUE(r.changed);
    ASSERT_TRUE(remote.ready());
    EXPECT_EQ(remote.pid_of(A("192.0.2.34")), "PID1");
    EXPECT_EQ(remote.pid_cost("PID1", "PID2", Metric::routingcost), 5);
    EXPECT_EQ(remote.pid_cost("PID1", "PID3", Metric::hopcount), 4);
    EXPECT_EQ(remote.endpoint_cost(A("192.0.2.1"), A("203.0.113.1"), Metric::routingcost), 10);
    EXPECT_EQ(alto_tag(remote.version()), remote.version());
    auto v1 = remote.version();

    // Nothing changed upstream: no swap.
    r = refresh_sync(loop, remote);
    EXPECT_EQ(r.error, "");
    EXPECT_FALSE(r.changed);
    EXPECT_EQ(remote.version(), v1);

    // A cost changes under the same network map vtag: swapped (§6.4).
    upstream_model.routing[{"PID1", "PID2"}] = 7;
    r = refresh_sync(loop, remote);
    EXPECT_TRUE(r.changed);
    EXPECT_EQ(remote.pid_cost("PID1", "PID2", Metric::routingcost), 7);
    EXPECT_NE(remote.version(), v1);

    // The gateway's client node serves what it fetched.
    AltoHttpConfig gc;
    gc.listen = "127.0.0.1:0";
    gc.alto.base_url = "";
    AltoHttpServer gateway(loop, remote, gc);
    HttpResult got;
    http_fetch(loop, {gateway.alto_config().base_url + "/costmap/routingcost/num", "", "GET", "", "", 5, 1 << 20},
               [&](HttpResult res) {
                   got = std::move(res);
                   loop.stop();
               });
    loop.run();
    ASSERT_EQ(got.status, 200) << got.error;
    auto cm = json::parse(got.body);
    EXPECT_EQ(cm["cost-map"]["PID1"]["PID2"], 7);
    EXPECT_EQ(cm["meta"]["dependent-vtags"][0]["tag"], remote.version());

    // The network map changes (under a version that is hashed into a tag).
    upstream_model.map[0].second.clear();
    upstream_model.ver = "version with spaces";
    r = refresh_sync(loop, remote);
    EXPECT_EQ(r.error, "");
    EXPECT_TRUE(r.changed);
    EXPECT_TRUE(remote.prefixes("PID1").empty());
    EXPECT_EQ(remote.pid_of(A("192.0.2.34")), "PID3");
    // No directory there: an error, and no maps.
    RemoteAltoModel nowhere(loop, upstream.alto_config().base_url + "/nope", 5);
    r = refresh_sync(loop, nowhere);
    EXPECT_NE(r.error.find("HTTP 404"), std::string::npos) << r.error;
    EXPECT_FALSE(nowhere.ready());
}

TEST(RemoteAltoModel, OneRefreshAtATimeAndSafeAfterDestruction) {
    sr::Loop loop;
    RfcModel m;
    AltoHttpConfig c;
    c.listen = "127.0.0.1:0";
    c.alto.base_url = "";
    AltoHttpServer upstream(loop, m, c);
    bool second_called = false, first_called = false;
    {
        RemoteAltoModel remote(loop, upstream.alto_config().base_url + "/directory", 5);
        remote.refresh([&](bool, const std::string&) { first_called = true; });
        remote.refresh([&](bool changed, const std::string& error) {
            second_called = true;
            EXPECT_FALSE(changed);
            EXPECT_EQ(error, "refresh in progress");
        });
    }  // destroyed with a fetch in flight
    EXPECT_TRUE(second_called);
    sr::Timer t(loop, [&] { loop.stop(); });
    t.arm_in(200'000);
    loop.run();
    EXPECT_FALSE(first_called);
}
