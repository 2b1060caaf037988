// Precompiled for every test binary: catch.hpp alone is most of each test's compile time.
// Listener interfaces are available to every test (some register their own listeners).
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <spindle/spindle.hpp>
