#include <spindle/compat/detail/worker_protocol.hpp>

#include <spindle/fibers/errors.hpp>

#include <cxxabi.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <typeinfo>

namespace spindle::detail {
namespace {

bool read_full(int fd, void* data, std::size_t size) {
  auto* at = static_cast<char*>(data);
  while (size > 0) {
    ssize_t got = ::read(fd, at, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    at += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

bool write_full(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t put = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    done += static_cast<std::size_t>(put);
  }
  return true;
}

std::string demangled(const std::type_info* type) {
  if (type == nullptr) return "unknown exception";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(type->name(), nullptr, nullptr, &status), std::free);
  return status == 0 && readable ? readable.get() : type->name();
}

// The current exception's message, whatever its type.
std::string current_message() {
  try {
    throw;
  } catch (const std::exception& error) {
    return error.what();
  } catch (const CancelledError& cancelled) {
    return cancelled.what();
  } catch (...) {
    return {};
  }
}

// Whether `address` lies in code mapped in this process: a function from a library loaded after
// the zygote started is not, and calling it would crash the worker without saying why.
void require_mapped(std::uintptr_t address) {
  static std::uintptr_t last_checked[2] = {0, 0};
  if (address == last_checked[0] || address == last_checked[1]) return;
  Dl_info info;
  if (::dladdr(reinterpret_cast<void*>(address), &info) == 0) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "the function at %#zx is not mapped in the worker (was its library loaded after the process "
                  "zygote started?)",
                  static_cast<std::size_t>(address));
    throw std::invalid_argument(text);
  }
  last_checked[1] = last_checked[0];
  last_checked[0] = address;
}

void run_job(const std::string& request, std::string& reply) {
  reply.assign(sizeof(std::uint32_t), '\0');
  try {
    CodecReader reader(request.data(), request.size());
    auto trampoline = reader.read<std::uintptr_t>();
    auto function = reader.read<std::uintptr_t>();
    require_mapped(trampoline);
    require_mapped(function);
    reply.push_back(static_cast<char>(ReplyKind::value));
    CodecWriter writer(reply);
    reinterpret_cast<Trampoline>(trampoline)(function, reader, writer);
  } catch (...) {
    std::string type = demangled(abi::__cxa_current_exception_type());
    std::string message = current_message();
    reply.resize(sizeof(std::uint32_t));
    reply.push_back(static_cast<char>(ReplyKind::exception));
    CodecWriter writer(reply);
    writer.write(type);
    writer.write(message);
  }
}

}  // namespace

void begin_request(std::string& frame, Trampoline trampoline, std::uintptr_t function) {
  frame.assign(sizeof(std::uint32_t), '\0');
  CodecWriter writer(frame);
  writer.write(reinterpret_cast<std::uintptr_t>(trampoline));
  writer.write(function);
}

void seal_frame(std::string& frame) {
  auto size = static_cast<std::uint32_t>(frame.size() - sizeof(std::uint32_t));
  std::memcpy(frame.data(), &size, sizeof size);
}

void run_worker(int socket) {
  std::string request;
  std::string reply;
  for (;;) {
    std::uint32_t size;
    if (!read_full(socket, &size, sizeof size)) ::_exit(0);
    request.resize(size);
    if (!read_full(socket, request.data(), size)) ::_exit(0);
    run_job(request, reply);
    std::fflush(nullptr);  // the job's output reaches the terminal or pipe before its reply does
    seal_frame(reply);
    if (!write_full(socket, reply)) ::_exit(0);
  }
}

}  // namespace spindle::detail
