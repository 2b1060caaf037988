// Unmodified hiredis, synchronous API, against a real redis-server on loopback: a fiber blocked in
// BLPOP does not stop the others, and a push from another fiber wakes it.
#include "hooks_support.hpp"
#include "server_env.hpp"

#include <hiredis/hiredis.h>

#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

struct Redis {
  redisContext* context;
  explicit Redis(const std::string& address) {
    auto colon = address.rfind(':');
    context = redisConnect(address.substr(0, colon).c_str(), std::stoi(address.substr(colon + 1)));
    REQUIRE(context != nullptr);
    INFO(context->errstr);
    REQUIRE(context->err == 0);
  }
  ~Redis() { redisFree(context); }
  // One command; returns the reply's string (or its integer as text), "nil" for a nil reply.
  std::string command(const char* format, const char* argument) {
    auto* reply = static_cast<redisReply*>(redisCommand(context, format, argument));
    INFO(context->errstr);
    REQUIRE(reply != nullptr);
    std::string text;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) text = reply->element[1]->str;
    if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS) text = reply->str;
    if (reply->type == REDIS_REPLY_INTEGER) text = std::to_string(reply->integer);
    if (reply->type == REDIS_REPLY_NIL) text = "nil";
    freeReplyObject(reply);
    return text;
  }
};

}  // namespace

TEST_CASE("a fiber blocked in BLPOP lets the others run, and a push from another fiber wakes it") {
  std::string address = test::server_address("SPINDLE_TEST_REDIS");
  std::vector<std::string> order;
  Scheduler scheduler;
  scheduler.run([&] {
    Redis waiting(address);
    Redis pushing(address);
    waiting.command("DEL %s", "spindle:queue");
    auto popper = spawn([&] {
      order.push_back("blpop");
      order.push_back("popped " + waiting.command("BLPOP %s 10", "spindle:queue"));
    });
    this_fiber::yield();  // the popper is now parked inside hiredis' blocking read
    for (int i = 0; i < 3; ++i) {
      order.push_back("ping " + pushing.command("ECHO %s", std::to_string(i).c_str()));
      this_fiber::sleep_for(10ms);
    }
    order.push_back("push");
    CHECK(pushing.command("RPUSH spindle:queue %s", "job") == "1");
    popper.join();
  });
  CHECK(order == std::vector<std::string>{"blpop", "ping 0", "ping 1", "ping 2", "push", "popped job"});
}
