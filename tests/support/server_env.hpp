// The address of a real server that tests/servers/with_server.sh started for this test binary.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

namespace spindle::test {

// The value of `variable`; FAILs the test (never skips it) when the server was not started.
inline std::string server_address(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') {
    FAIL(std::string(variable) + " is not set: run this test through tests/servers/with_server.sh "
                                 "(meson test does), which starts the server it needs");
  }
  return value;
}

}  // namespace spindle::test
