// core/net_limits: TCP_CORK held while an answer is queued, taken off once
// the output buffer has drained (or the tail of every large answer would
// wait 200 ms in the kernel).
#include "core/loop.hpp"
#include "core/net_limits.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace {

int corked(int fd) {
    int v = -1;
    socklen_t len = sizeof v;
    getsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, &len);
    return v;
}

TEST(NetCork, CorkedWhileQueuedAndUncorkedOnceDrained) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(listener, 1), 0);
    socklen_t len = sizeof a;
    getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    int server = accept(listener, nullptr, nullptr);
    ASSERT_GE(server, 0);

    sr::Loop loop;
    bufferevent* bev = bufferevent_socket_new(loop.base(), server, BEV_OPT_CLOSE_ON_FREE);
    evbuffer* out = bufferevent_get_output(bev);
    sr::net::cork_until_drained(server, out);
    EXPECT_EQ(corked(server), 1);
    std::string body(200000, 'x');
    bufferevent_write(bev, body.data(), body.size());
    bufferevent_enable(bev, EV_WRITE);
    // Read on the client side until everything arrived; the loop writes.
    std::size_t got = 0;
    char buf[65536];
    for (int turns = 0; got < body.size() && turns < 1000; ++turns) {
        event_base_loop(loop.base(), EVLOOP_NONBLOCK);
        ssize_t n = recv(client, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) got += static_cast<std::size_t>(n);
    }
    EXPECT_EQ(got, body.size()) << "the tail was held back";
    EXPECT_EQ(evbuffer_get_length(out), 0u);
    EXPECT_EQ(corked(server), 0);
    bufferevent_free(bev);
    close(client);
    close(listener);
}

}  // namespace
