// Must not compile: a pointer means nothing in another process.
#include <spindle/compat/process_pool.hpp>

int length(const char* text) { return static_cast<int>(__builtin_strlen(text)); }

int main() {
  spindle::ProcessPoolExecutor pool(1);
  return pool.submit(length, "four").result();
}
