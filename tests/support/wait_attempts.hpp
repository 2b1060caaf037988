// Test support: try every way a fiber can wait, from code that must not wait (posted work, timer
// callbacks), and name what each did.
#pragma once

#include <spindle/spindle.hpp>

#include <string>
#include <vector>

namespace spindle::test {

// Runs `wait` and names what it did: "returned", "FiberError" or "other exception".
template <class Wait>
std::string attempt(Wait&& wait) {
  try {
    wait();
    return "returned";
  } catch (const FiberError&) {
    return "FiberError";
  } catch (...) {
    return "other exception";
  }
}

// park, park_until, sleep_for and WaitList::wait, each tried once; `reason` labels the waits.
inline std::vector<std::string> try_every_wait(const char* reason) {
  using namespace std::chrono_literals;
  std::vector<std::string> results;
  results.push_back(attempt([reason] { park(reason); }));
  results.push_back(attempt([reason] { park_until(reason, now() + 1s); }));
  results.push_back(attempt([] { this_fiber::sleep_for(1s); }));
  results.push_back(attempt([reason] {
    WaitList list;
    list.wait(reason);
  }));
  return results;
}

}  // namespace spindle::test
