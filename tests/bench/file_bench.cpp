// File I/O benchmarks: 4 KiB random preads on a page-cached 64 MiB file.
//
//   pread_sync       pread(2) on the loop's own thread: the floor (and what stalls the loop)
//   pread_pool       File::pread from one fiber, one read at a time: per-op latency through the
//                    blocking pool (submit, a pool thread runs pread, completion posted back)
//   pread_pool_par   the same from 16 fibers at once: throughput
//   pread_uring      io_uring (liburing), one read at a time: submit and wait for its completion;
//                    the latency an io_uring backend could reach before any loop integration
//   pread_uring_par  io_uring with 16 reads in flight: throughput
//
// The peer, tests/bench/peers/file_peer.py, does pread_pool and pread_pool_par with asyncio's
// loop.run_in_executor(None, os.pread, ...), which is how asyncio programs (and aiofiles) read files.
// Every read's first byte is checked against the pattern the file was written with.
#include "bench_harness.hpp"

#include <spindle/spindle.hpp>

#if SPINDLE_BENCH_HAVE_LIBURING
#include <liburing.h>
#endif

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace spindle;
using bench::metric;
using bench::nanoseconds_since;
using bench::scaled;

constexpr std::size_t file_size = 64 << 20;
constexpr std::size_t block = 4096;
constexpr std::size_t blocks = file_size / block;
constexpr int parallel = 16;

// Block i holds the byte 'a' + i % 26 throughout, so every read can be checked.
char expected_byte(std::uint64_t offset) { return static_cast<char>('a' + (offset / block) % 26); }

// Creates the file once per process (and unlinks it at exit), warm in the page cache.
const std::string& bench_file() {
  static const std::string path = [] {
    char name[] = "/tmp/spindle-file-bench-XXXXXX";
    int fd = ::mkstemp(name);
    if (fd < 0) std::abort();
    std::vector<char> data(block);
    for (std::size_t i = 0; i < blocks; ++i) {
      std::fill(data.begin(), data.end(), expected_byte(i * block));
      if (::write(fd, data.data(), block) != static_cast<ssize_t>(block)) std::abort();
    }
    ::close(fd);
    std::atexit([] { ::unlink(bench_file().c_str()); });
    return std::string(name);
  }();
  return path;
}

// A fixed pseudo-random sequence of block offsets (the same in every workload and the peer).
struct Offsets {
  std::uint64_t state;
  explicit Offsets(std::uint64_t seed) : state(seed) {}
  std::uint64_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((state >> 33) % blocks) * block;
  }
};

void check(const char* buffer, std::uint64_t offset) {
  if (buffer[0] != expected_byte(offset)) {
    std::fprintf(stderr, "wrong data at offset %llu\n", static_cast<unsigned long long>(offset));
    std::exit(1);
  }
}

// `ops` reads one after another, each by `read_block(fd, buffer, offset)`; reports ns per read.
template <class ReadBlock>
void sequential_reads(const char* metric_name, long ops, ReadBlock read_block) {
  int fd = ::open(bench_file().c_str(), O_RDONLY);
  char buffer[block];
  Offsets offsets(1);
  auto start = Clock::now();
  for (long i = 0; i < ops; ++i) {
    std::uint64_t offset = offsets.next();
    read_block(fd, buffer, offset);
    check(buffer, offset);
  }
  metric(metric_name, nanoseconds_since(start) / static_cast<double>(ops), "ns");
  ::close(fd);
}

void pread_sync() {
  sequential_reads("file_pread_sync_latency", scaled(200'000), [](int fd, char* buffer, std::uint64_t offset) {
    if (::pread(fd, buffer, block, static_cast<off_t>(offset)) != static_cast<ssize_t>(block)) std::abort();
  });
}

void pread_pool() {
  const long ops = scaled(100'000);
  Scheduler scheduler;
  scheduler.run([&] {
    File file = File::open(bench_file());
    char buffer[block];
    Offsets offsets(1);
    auto start = Clock::now();
    for (long i = 0; i < ops; ++i) {
      std::uint64_t offset = offsets.next();
      if (file.pread(buffer, offset) != block) std::abort();
      check(buffer, offset);
    }
    metric("file_pread_pool_latency", nanoseconds_since(start) / static_cast<double>(ops), "ns");
  });
}

void pread_pool_par() {
  const long ops = scaled(200'000);
  Scheduler scheduler;
  scheduler.run([&] {
    File file = File::open(bench_file());
    auto start = Clock::now();
    std::vector<JoinHandle<void>> readers;
    for (int r = 0; r < parallel; ++r) {
      readers.push_back(spawn([&, r] {
        // Each fiber its own offset sequence; preads share the one File.
        char buffer[block];
        Offsets offsets(static_cast<std::uint64_t>(r) + 1);
        for (long i = 0; i < ops / parallel; ++i) {
          std::uint64_t offset = offsets.next();
          if (file.pread(buffer, offset) != block) std::abort();
          check(buffer, offset);
        }
      }));
    }
    for (auto& reader : readers) reader.join();
    double seconds = nanoseconds_since(start) / 1e9;
    metric("file_pread_pool_par_throughput", static_cast<double>(ops / parallel * parallel) / seconds, "ops/s");
  });
}

#if SPINDLE_BENCH_HAVE_LIBURING
void pread_uring() {
  const long ops = scaled(200'000);
  io_uring ring;
  if (io_uring_queue_init(64, &ring, 0) != 0) {
    std::fprintf(stderr, "io_uring unavailable here; pread_uring skipped\n");
    return;
  }
  sequential_reads("file_pread_uring_latency", ops, [&ring](int fd, char* buffer, std::uint64_t offset) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_read(sqe, fd, buffer, block, offset);
    io_uring_submit(&ring);
    io_uring_cqe* cqe;
    if (io_uring_wait_cqe(&ring, &cqe) != 0 || cqe->res != static_cast<int>(block)) std::abort();
    io_uring_cqe_seen(&ring, cqe);
  });
  io_uring_queue_exit(&ring);
}

void pread_uring_par() {
  const long ops = scaled(200'000) / parallel * parallel;
  io_uring ring;
  if (io_uring_queue_init(64, &ring, 0) != 0) return;
  int fd = ::open(bench_file().c_str(), O_RDONLY);
  std::vector<char> buffers(parallel * block);
  std::vector<std::uint64_t> in_flight(parallel);
  Offsets offsets(1);
  auto submit = [&](int slot) {
    in_flight[slot] = offsets.next();
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_read(sqe, fd, buffers.data() + slot * block, block, in_flight[slot]);
    io_uring_sqe_set_data64(sqe, static_cast<std::uint64_t>(slot));
  };
  auto start = Clock::now();
  long submitted = 0;
  for (int slot = 0; slot < parallel; ++slot, ++submitted) submit(slot);
  io_uring_submit(&ring);
  for (long done = 0; done < ops;) {
    io_uring_cqe* cqe;
    if (io_uring_wait_cqe(&ring, &cqe) != 0 || cqe->res != static_cast<int>(block)) std::abort();
    int slot = static_cast<int>(io_uring_cqe_get_data64(cqe));
    io_uring_cqe_seen(&ring, cqe);
    check(buffers.data() + slot * block, in_flight[slot]);
    ++done;
    if (submitted < ops) {
      submit(slot);
      ++submitted;
      io_uring_submit(&ring);
    }
  }
  double seconds = nanoseconds_since(start) / 1e9;
  metric("file_pread_uring_par_throughput", static_cast<double>(ops) / seconds, "ops/s");
  ::close(fd);
  io_uring_queue_exit(&ring);
}
#endif

constexpr bench::Workload workloads[] = {
    {"pread_sync", pread_sync},
    {"pread_pool", pread_pool},
    {"pread_pool_par", pread_pool_par},
#if SPINDLE_BENCH_HAVE_LIBURING
    {"pread_uring", pread_uring},
    {"pread_uring_par", pread_uring_par},
#endif
};

}  // namespace

int main(int argc, char** argv) { return bench::run_workloads(argc, argv, "file", workloads); }
