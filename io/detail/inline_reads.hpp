// The switch between File's two read paths, for the benchmarks and tests that measure or exercise
// the pool path on its own (see io/file.hpp). On by default.
#pragma once

namespace spindle::detail {

// Whether File reads of up to File::inline_read_limit bytes first try preadv2(RWF_NOWAIT) on the
// calling thread. Thread-safe; affects reads that start afterwards.
void set_inline_file_reads(bool enabled) noexcept;

}  // namespace spindle::detail
