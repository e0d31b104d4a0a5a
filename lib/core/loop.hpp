// The event loop: a thin owner of a libevent event_base.
//
// Every daemon runs one Loop on one thread. Timers and signal watchers are
// RAII objects bound to it; signals are delivered through the loop (libevent
// uses a self-pipe), so no handler ever runs application code from signal
// context. Time for the sans-IO cores comes from Loop::now_us(), a monotonic
// clock in microseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

struct event_base;
struct event;

namespace sr {

class Loop {
  public:
    Loop();
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    void run();   // until stop() or nothing is left to wait for
    void stop();  // returns from run() after the current callback
    event_base* base() const { return base_; }

    static std::int64_t now_us();       // monotonic
    static std::int64_t wall_now_us();  // realtime, for persistence and display

  private:
    event_base* base_;
};

// A one-shot timer that can be re-armed; cancelled on destruction.
class Timer {
  public:
    Timer(Loop& loop, std::function<void()> fn);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    void arm_in(std::int64_t delay_us);
    void arm_at(std::int64_t when_us);  // on Loop::now_us()'s clock
    void cancel();
    bool armed() const;

  private:
    static void fire(int, short, void* self);
    event* ev_;
    std::function<void()> fn_;
};

// Runs fn in the loop each time signal `signo` arrives.
class SignalWatch {
  public:
    SignalWatch(Loop& loop, int signo, std::function<void()> fn);
    ~SignalWatch();
    SignalWatch(const SignalWatch&) = delete;
    SignalWatch& operator=(const SignalWatch&) = delete;

  private:
    static void fire(int, short, void* self);
    event* ev_;
    std::function<void()> fn_;
};

}  // namespace sr
