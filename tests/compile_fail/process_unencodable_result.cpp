// Must not compile: a std::map result has no encoding (and no serialize/deserialize).
#include <spindle/compat/process_pool.hpp>

#include <map>

std::map<int, int> histogram(int n) { return {{n, 1}}; }

int main() {
  spindle::ProcessPoolExecutor pool(1);
  return static_cast<int>(pool.submit(histogram, 3).result().size());
}
