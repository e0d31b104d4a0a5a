#include "core/loop.hpp"

#include <event2/event.h>

#include <ctime>
#include <stdexcept>

namespace sr {

namespace {
// epoll's changelist folds the enable/disable pairs one loop iteration makes
// on a socket (evhttp makes several per request) into one epoll_ctl.
event_base* new_base() {
    event_config* cfg = event_config_new();
    if (!cfg) return nullptr;
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    event_base* base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    return base;
}
}  // namespace

Loop::Loop() : base_(new_base()) {
    if (!base_) throw std::runtime_error("event_base_new failed");
}

Loop::~Loop() { event_base_free(base_); }

void Loop::run() { event_base_dispatch(base_); }

void Loop::stop() { event_base_loopbreak(base_); }

static std::int64_t clock_us(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

std::int64_t Loop::now_us() { return clock_us(CLOCK_MONOTONIC); }
std::int64_t Loop::wall_now_us() { return clock_us(CLOCK_REALTIME); }

Timer::Timer(Loop& loop, std::function<void()> fn)
    : ev_(evtimer_new(loop.base(), &Timer::fire, this)), fn_(std::move(fn)) {
    if (!ev_) throw std::runtime_error("evtimer_new failed");
}

Timer::~Timer() { event_free(ev_); }

void Timer::arm_in(std::int64_t delay_us) {
    if (delay_us < 0) delay_us = 0;
    timeval tv{static_cast<time_t>(delay_us / 1'000'000), static_cast<suseconds_t>(delay_us % 1'000'000)};
    evtimer_add(ev_, &tv);
}

void Timer::arm_at(std::int64_t when_us) { arm_in(when_us - Loop::now_us()); }

void Timer::cancel() { evtimer_del(ev_); }

bool Timer::armed() const { return evtimer_pending(ev_, nullptr); }

void Timer::fire(int, short, void* self) { static_cast<Timer*>(self)->fn_(); }

SignalWatch::SignalWatch(Loop& loop, int signo, std::function<void()> fn)
    : ev_(evsignal_new(loop.base(), signo, &SignalWatch::fire, this)), fn_(std::move(fn)) {
    if (!ev_ || evsignal_add(ev_, nullptr) != 0) throw std::runtime_error("evsignal_new failed");
}

SignalWatch::~SignalWatch() { event_free(ev_); }

void SignalWatch::fire(int, short, void* self) { static_cast<SignalWatch*>(self)->fn_(); }

}  // namespace sr
