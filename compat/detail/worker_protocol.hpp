// The messages between a ProcessPoolExecutor and its worker processes, and the worker's loop.
//
// Over one stream socket per worker, one job at a time:
//   request  u32 size | u64 trampoline | u64 function | encoded arguments
//   reply    u32 size | u8 kind (0 value, 1 exception) | encoded value, or type name and what()
// `size` counts the bytes after it. The trampoline is an instantiation of process_trampoline for
// the function's signature: it decodes the arguments, calls the function, encodes the result. The
// worker is a fork of a zygote that is a fork of this program, so both addresses are valid in it
// unchanged (see docs/design.md, "Process workers").
#pragma once

#include <spindle/compat/codec.hpp>

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace spindle::detail {

using Trampoline = void (*)(std::uintptr_t function, CodecReader& arguments, CodecWriter& result);

enum class ReplyKind : std::uint8_t { value = 0, exception = 1 };

// Decodes P... from `arguments`, calls the function R(*)(P...) stored in `function` and encodes
// what it returns. Runs in the worker.
template <class R, class... P>
void process_trampoline(std::uintptr_t function, CodecReader& arguments, CodecWriter& result) {
  auto call = reinterpret_cast<R (*)(P...)>(function);
  // Braced: the arguments are read in order.
  std::tuple<std::remove_cvref_t<P>...> values{arguments.read<std::remove_cvref_t<P>>()...};
  if constexpr (std::is_void_v<R>) {
    std::apply(call, std::move(values));
  } else {
    result.write(std::apply(call, std::move(values)));
  }
}

// Starts a request frame in `frame`: the size placeholder, trampoline and function. The caller
// appends the arguments and then calls seal_frame.
void begin_request(std::string& frame, Trampoline trampoline, std::uintptr_t function);
// Writes the size of everything after the u32 size field into it.
void seal_frame(std::string& frame);

// The worker process's loop on `socket`: read a request, run it, reply, until end of file; then
// _exit(0). Never returns.
[[noreturn]] void run_worker(int socket);

}  // namespace spindle::detail
