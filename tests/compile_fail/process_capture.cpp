// Must not compile: a capturing lambda cannot run in a worker process.
#include <spindle/compat/process_pool.hpp>

int main() {
  spindle::ProcessPoolExecutor pool(1);
  int offset = 3;
  return pool.submit([offset](int x) { return x + offset; }, 4).result();
}
