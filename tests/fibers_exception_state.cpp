// Per-fiber C++ exception state: `throw;`, std::current_exception() and std::uncaught_exceptions() survive switches between fibers.
#include "leak_check.hpp"

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

struct ErrorX : std::runtime_error {
  ErrorX() : std::runtime_error("X") {}
};
struct ErrorY : std::runtime_error {
  ErrorY() : std::runtime_error("Y") {}
};

// What std::current_exception() holds, as "X", "Y", "none" or "other".
std::string current_exception_name() {
  std::exception_ptr current = std::current_exception();
  if (!current) return "none";
  try {
    std::rethrow_exception(current);
  } catch (const ErrorX&) {
    return "X";
  } catch (const ErrorY&) {
    return "Y";
  } catch (...) {
    return "other";
  }
}

}  // namespace

TEST_CASE("a fiber parked inside a catch block rethrows its own exception, not the one another fiber caught meanwhile",
          "[fibers][exception_state]") {
  test::run_virtual([] {
    std::vector<std::string> events;
    auto a = spawn([&] {
      try {
        try {
          throw ErrorX();
        } catch (...) {
          this_fiber::sleep_for(10ms);  // B throws, catches Y and parks in its handler meanwhile
          events.push_back("A handler sees " + current_exception_name());
          throw;
        }
      } catch (const ErrorX&) {
        events.push_back("A outer catch got X");
      } catch (const ErrorY&) {
        events.push_back("A outer catch got Y");
      }
    });
    auto b = spawn([&] {
      try {
        try {
          throw ErrorY();
        } catch (...) {
          events.push_back("B handler entered with " + current_exception_name());
          this_fiber::sleep_for(20ms);  // A resumes and rethrows meanwhile
          events.push_back("B handler sees " + current_exception_name());
          throw;
        }
      } catch (const ErrorY&) {
        events.push_back("B outer catch got Y");
      } catch (const ErrorX&) {
        events.push_back("B outer catch got X");
      }
    });
    a.join();
    b.join();
    CHECK(events == std::vector<std::string>{
                        "B handler entered with Y",
                        "A handler sees X",
                        "A outer catch got X",
                        "B handler sees Y",
                        "B outer catch got Y",
                    });
  });
}

TEST_CASE("std::current_exception() in a catch block still refers to the fiber's exception after a switch",
          "[fibers][exception_state]") {
  test::run_virtual([] {
    std::exception_ptr a_before, a_after;
    std::string b_outside_any_handler;
    auto a = spawn([&] {
      try {
        throw ErrorX();
      } catch (...) {
        a_before = std::current_exception();
        this_fiber::yield();  // B runs, catches Y and yields from its handler
        a_after = std::current_exception();
        this_fiber::yield();
      }
      CHECK(current_exception_name() == "none");  // the handler has ended
    });
    auto b = spawn([&] {
      b_outside_any_handler = current_exception_name();  // A is inside a handler right now
      try {
        throw ErrorY();
      } catch (...) {
        this_fiber::yield();  // A resumes inside its handler
        CHECK(current_exception_name() == "Y");
      }
    });
    a.join();
    b.join();
    REQUIRE(a_before);
    CHECK(a_after == a_before);
    CHECK(b_outside_any_handler == "none");
  });
}

TEST_CASE("a new fiber starts with no current exception, even when spawned from inside a catch block",
          "[fibers][exception_state]") {
  test::run_virtual([] {
    try {
      throw ErrorX();
    } catch (...) {
      auto child = spawn([] { return current_exception_name(); });
      CHECK(child.join() == "none");
      CHECK(current_exception_name() == "X");  // main's own state survived the join
    }
  });
}

TEST_CASE("std::uncaught_exceptions() counts per fiber, also while a fiber is parked during unwinding",
          "[fibers][exception_state]") {
  test::run_virtual([] {
    int during_unwind_before_park = -1;
    int during_unwind_after_park = -1;
    int other_fiber_meanwhile = -1;
    int main_meanwhile = -1;
    struct ParksWhileUnwinding {
      int& before;
      int& after;
      ~ParksWhileUnwinding() {
        before = std::uncaught_exceptions();
        this_fiber::sleep_for(10ms);  // parks in the middle of stack unwinding
        after = std::uncaught_exceptions();
      }
    };
    auto unwinding = spawn([&] {
      try {
        ParksWhileUnwinding guard{during_unwind_before_park, during_unwind_after_park};
        throw ErrorX();
      } catch (const ErrorX&) {
      }
      CHECK(std::uncaught_exceptions() == 0);
    });
    auto other = spawn([&] {
      this_fiber::sleep_for(5ms);  // the first fiber is parked inside its destructor now
      other_fiber_meanwhile = std::uncaught_exceptions();
    });
    this_fiber::sleep_for(5ms);
    main_meanwhile = std::uncaught_exceptions();
    unwinding.join();
    other.join();
    CHECK(during_unwind_before_park == 1);
    CHECK(during_unwind_after_park == 1);
    CHECK(other_fiber_meanwhile == 0);
    CHECK(main_meanwhile == 0);
    CHECK(std::uncaught_exceptions() == 0);
  });
}

TEST_CASE("a scheduler run from inside a catch block leaves the thread's current exception intact",
          "[fibers][exception_state]") {
  try {
    throw ErrorY();
  } catch (...) {
    test::run_virtual([] {
      CHECK(current_exception_name() == "none");
      try {
        throw ErrorX();
      } catch (...) {
        this_fiber::sleep_for(1ms);  // through the loop context and back
        CHECK(current_exception_name() == "X");
      }
    });
    CHECK(current_exception_name() == "Y");
    CHECK_THROWS_AS(throw, ErrorY);
  }
}
