// The compat exception hierarchy: what derives from what, and what ExceptionGroup says.
#include "leak_check.hpp"

#include <type_traits>

using namespace spindle;

TEST_CASE("the compat exceptions form the documented hierarchy", "[compat][errors]") {
  STATIC_REQUIRE(std::is_base_of_v<std::logic_error, InvalidStateError>);
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, TimeoutError>);
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, QueueEmpty>);
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, QueueFull>);
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, QueueShutDown>);
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, BrokenBarrierError>);
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, ExceptionGroup>);
  STATIC_REQUIRE_FALSE(std::is_base_of_v<std::exception, CancelledError>);
}

TEST_CASE("ExceptionGroup keeps every exception in order and lists them in what()", "[compat][errors]") {
  ExceptionGroup group("two children failed", {std::make_exception_ptr(std::runtime_error("first")),
                                                std::make_exception_ptr(TimeoutError("second"))});
  REQUIRE(group.exceptions().size() == 2);
  CHECK_THROWS_WITH(std::rethrow_exception(group.exceptions()[0]), "first");
  CHECK_THROWS_AS(std::rethrow_exception(group.exceptions()[1]), TimeoutError);
  std::string text = group.what();
  CHECK(text.find("two children failed (2 sub-exceptions)") != std::string::npos);
  CHECK(text.find("[1] std::runtime_error: first") != std::string::npos);
  CHECK(text.find("[2] spindle::TimeoutError: second") != std::string::npos);
}
