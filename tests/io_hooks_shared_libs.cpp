// Blocking calls made inside shared libraries park too: one loaded at start-up (linked into this
// test) and one loaded later with dlopen. Both are the same spindle-unaware code.
#include "hooks_support.hpp"

#include <dlfcn.h>

#include <string>
#include <vector>

extern "C" int probe_read_byte(int fd);  // from the linked copy, libhooks_probe_linked.so

using namespace spindle;

namespace {

// A reader fiber blocked in `read_byte`'s read(2) must let the main fiber write the byte it waits for.
std::vector<std::string> read_through(int (*read_byte)(int)) {
  std::vector<std::string> order;
  test::run_virtual([&] {
    auto pair = test::BlockingPair::pipe();
    test::SafetyRelease release(pair.writer, 'S');
    auto reader = spawn([&] {
      order.push_back("library reads");
      order.push_back(std::string("library got ") + static_cast<char>(read_byte(pair.reader)));
    });
    this_fiber::yield();
    order.push_back("fiber writes");
    REQUIRE(::write(pair.writer, "W", 1) == 1);
    reader.join();
  });
  return order;
}

const std::vector<std::string> cooperative_order{"library reads", "fiber writes", "library got W"};

}  // namespace

TEST_CASE("a blocking read inside a library loaded at start-up parks the fiber") {
  CHECK(read_through(probe_read_byte) == cooperative_order);
}

TEST_CASE("a blocking read inside a library loaded with dlopen parks the fiber") {
  void* library = ::dlopen(SPINDLE_HOOKS_PROBE_LOADED, RTLD_NOW | RTLD_LOCAL);
  INFO(::dlerror());
  REQUIRE(library != nullptr);
  auto read_byte = reinterpret_cast<int (*)(int)>(::dlsym(library, "probe_read_byte"));
  REQUIRE(read_byte != nullptr);
  CHECK(read_through(read_byte) == cooperative_order);

  // Its sleep is the scheduler's too: under the virtual clock an hour passes at once.
  auto sleep_for = reinterpret_cast<int (*)(unsigned)>(::dlsym(library, "probe_usleep"));
  double slept = 0;
  test::run_virtual([&] {
    TimePoint start = spindle::now();
    CHECK(sleep_for(3'600'000'000U) == 0);
    slept = test::seconds_since(start);
  });
  CHECK(slept == Approx(3600.0));
  ::dlclose(library);
}
