// A move-only `void()` callable, for work posted across threads and timer callbacks: std::function
// would force captured state (sockets, promises) to be copyable. std::move_only_function is C++23.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace spindle::detail {

class UniqueFunction {
 public:
  UniqueFunction() = default;

  template <class Fn>
    requires(!std::is_same_v<std::decay_t<Fn>, UniqueFunction> && std::is_invocable_v<std::decay_t<Fn>&>)
  UniqueFunction(Fn&& fn)  // NOLINT(google-explicit-constructor): used like std::function
      : callable_(std::make_unique<Model<std::decay_t<Fn>>>(std::forward<Fn>(fn))) {}

  void operator()() { callable_->invoke(); }
  explicit operator bool() const noexcept { return callable_ != nullptr; }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual void invoke() = 0;
  };
  template <class Fn>
  struct Model final : Concept {
    explicit Model(Fn&& fn) : fn(std::move(fn)) {}
    explicit Model(const Fn& fn) : fn(fn) {}
    void invoke() override { fn(); }
    Fn fn;
  };
  std::unique_ptr<Concept> callable_;
};

}  // namespace spindle::detail
