// Interposers for getaddrinfo, gethostbyname and gethostbyname_r. glibc's resolver blocks inside
// itself on sockets no hook sees (its internal calls bypass the PLT), so in a fiber a host name is
// answered by spindle's c-ares resolver instead (io/dns.hpp), which parks only the calling fiber.
// Numeric hosts, a null host, flags the c-ares path does not model (AI_V4MAPPED, AI_ALL), and every
// call outside a fiber go to glibc. The results are built the way glibc builds them (one
// allocation per entry, the canonical name apart), so glibc's freeaddrinfo releases them.
#include <spindle/io/hooks.hpp>

#include <spindle/io/hooks/detail/blocking_call.hpp>
#include <spindle/io/hooks/detail/gate.hpp>
#include <spindle/io/hooks/detail/real_calls.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/io/dns.hpp>

#include <arpa/inet.h>
#include <netdb.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

using namespace spindle::detail::hooks;

namespace spindle {
namespace {

std::mutex resolver_mutex;
std::shared_ptr<const ResolverOptions> resolver_options;  // null: Resolver::for_this_thread()
std::uint64_t resolver_generation = 0;

// This thread's Resolver for hooked lookups, made from the options of `generation`. A Resolver
// keeps its sockets open while it lives (c-ares STAYOPEN), so the thread that changes the options
// drops its own at once; other threads drop theirs at their next lookup.
struct ThreadResolver {
  std::uint64_t generation = 0;
  std::optional<Resolver> resolver;
};
thread_local ThreadResolver this_thread_resolver;

Resolver& hooks_resolver() {
  ThreadResolver& mine = this_thread_resolver;
  std::shared_ptr<const ResolverOptions> options;
  {
    std::lock_guard lock(resolver_mutex);
    if (mine.generation == resolver_generation) {
      return mine.resolver ? *mine.resolver : Resolver::for_this_thread();
    }
    mine.generation = resolver_generation;
    options = resolver_options;
  }
  mine.resolver.reset();
  if (options) mine.resolver.emplace(*options);
  return mine.resolver ? *mine.resolver : Resolver::for_this_thread();
}

bool numeric_host(const char* host) noexcept {
  unsigned char address[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host, address) == 1 || ::inet_pton(AF_INET6, host, address) == 1;
}

// The outcome of one c-ares lookup, with failures as the getaddrinfo / h_errno codes glibc uses.
struct Lookup {
  std::vector<SocketAddress> addresses;
  int eai = 0;      // 0, or EAI_NONAME, EAI_AGAIN, ...
  int herror = 0;   // 0, or HOST_NOT_FOUND, TRY_AGAIN, ...
  int error = 0;    // errno for EAI_SYSTEM
};

Lookup lookup(const char* host, int family) noexcept {
  Lookup result;
  try {
    result.addresses = hooks_resolver().resolve(host, 0, family);
  } catch (const DnsError& failure) {
    switch (failure.code()) {
      case DnsError::Code::bad_name:
      case DnsError::Code::not_found: result.eai = EAI_NONAME, result.herror = HOST_NOT_FOUND; break;
      case DnsError::Code::no_address: result.eai = EAI_NODATA, result.herror = NO_DATA; break;
      case DnsError::Code::server_failure:
      case DnsError::Code::unreachable: result.eai = EAI_AGAIN, result.herror = TRY_AGAIN; break;
      default: result.eai = EAI_FAIL, result.herror = NO_RECOVERY; break;
    }
  } catch (const TimeoutError&) {
    result.eai = EAI_AGAIN, result.herror = TRY_AGAIN;
  } catch (const CancelledError& cancelled) {
    keep_cancellation_pending(cancelled);
    result.eai = EAI_SYSTEM, result.herror = TRY_AGAIN, result.error = ECANCELED;
  } catch (const std::bad_alloc&) {
    result.eai = EAI_MEMORY, result.herror = NO_RECOVERY, result.error = ENOMEM;
  } catch (...) {
    result.eai = EAI_FAIL, result.herror = NO_RECOVERY;
  }
  return result;
}

// The port a service names: numeric, or from /etc/services (a file lookup: nothing to wait for).
std::optional<std::uint16_t> service_port(const char* service, const addrinfo* hints) noexcept {
  if (service == nullptr) return 0;
  char* end = nullptr;
  long number = std::strtol(service, &end, 10);
  if (*service != '\0' && *end == '\0') {
    if (number < 0 || number > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(number);
  }
  if (hints != nullptr && (hints->ai_flags & AI_NUMERICSERV)) return std::nullopt;
  const char* protocol = hints != nullptr && hints->ai_socktype == SOCK_DGRAM ? "udp" : "tcp";
  servent entry{};
  servent* found = nullptr;
  char buffer[1024];
  if (::getservbyname_r(service, protocol, &entry, buffer, sizeof buffer, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return ntohs(static_cast<std::uint16_t>(found->s_port));
}

// One entry laid out as glibc lays it out: the address right after the addrinfo, one allocation.
addrinfo* entry_for(const SocketAddress& address, int socktype, int protocol) noexcept {
  auto* entry = static_cast<addrinfo*>(std::calloc(1, sizeof(addrinfo) + address.native_size()));
  if (entry == nullptr) return nullptr;
  entry->ai_family = address.family();
  entry->ai_socktype = socktype;
  entry->ai_protocol = protocol;
  entry->ai_addrlen = address.native_size();
  entry->ai_addr = reinterpret_cast<sockaddr*>(entry + 1);
  std::memcpy(entry->ai_addr, address.native(), address.native_size());
  return entry;
}

int getaddrinfo_cooperatively(const char* host, const char* service, const addrinfo* hints, addrinfo** result) {
  std::optional<std::uint16_t> port = service_port(service, hints);
  if (!port) return EAI_SERVICE;
  int family = hints != nullptr ? hints->ai_family : AF_UNSPEC;
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) return EAI_FAMILY;
  Lookup answer = lookup(host, family);
  if (answer.eai != 0) {
    if (answer.eai == EAI_SYSTEM) errno = answer.error;
    return answer.eai;
  }
  // A socket type of 0 means every type, one entry each, as glibc answers it.
  struct Kind {
    int socktype;
    int protocol;
  };
  std::vector<Kind> kinds;
  if (hints != nullptr && hints->ai_socktype != 0) {
    kinds.push_back({hints->ai_socktype, hints->ai_protocol});
  } else {
    kinds = {{SOCK_STREAM, IPPROTO_TCP}, {SOCK_DGRAM, IPPROTO_UDP}, {SOCK_RAW, 0}};
  }
  addrinfo* head = nullptr;
  addrinfo** tail = &head;
  for (const SocketAddress& address : answer.addresses) {
    for (const Kind& kind : kinds) {
      addrinfo* entry = entry_for(address.with_port(*port), kind.socktype, kind.protocol);
      if (entry == nullptr) {
        if (head != nullptr) ::freeaddrinfo(head);
        return EAI_MEMORY;
      }
      *tail = entry;
      tail = &entry->ai_next;
    }
  }
  if (head != nullptr && hints != nullptr && (hints->ai_flags & AI_CANONNAME)) {
    head->ai_canonname = ::strdup(host);
    if (head->ai_canonname == nullptr) {
      ::freeaddrinfo(head);
      return EAI_MEMORY;
    }
  }
  *result = head;
  return 0;
}

// gethostbyname_r's layout inside the caller's buffer: name, the two pointer arrays, the addresses.
int fill_hostent(const char* name, const std::vector<SocketAddress>& addresses, hostent* entry, char* buffer,
                 std::size_t size) noexcept {
  std::size_t name_size = std::strlen(name) + 1;
  std::size_t count = addresses.size();
  std::size_t pointers = sizeof(char*) * (count + 2);  // address list and its null, the empty alias list
  std::size_t needed = name_size + alignof(char*) + pointers + sizeof(in_addr) * count;
  if (needed > size) return ERANGE;
  char* cursor = buffer;
  std::memcpy(cursor, name, name_size);
  entry->h_name = cursor;
  cursor += name_size;
  cursor += (alignof(char*) - reinterpret_cast<std::uintptr_t>(cursor) % alignof(char*)) % alignof(char*);
  auto** list = reinterpret_cast<char**>(cursor);
  cursor += pointers;
  for (std::size_t i = 0; i < count; ++i) {
    const auto* ip = reinterpret_cast<const sockaddr_in*>(addresses[i].native());
    std::memcpy(cursor, &ip->sin_addr, sizeof(in_addr));
    list[i] = cursor;
    cursor += sizeof(in_addr);
  }
  list[count] = nullptr;
  list[count + 1] = nullptr;
  entry->h_addr_list = list;
  entry->h_aliases = list + count + 1;
  entry->h_addrtype = AF_INET;
  entry->h_length = sizeof(in_addr);
  return 0;
}

int gethostbyname_r_cooperatively(const char* name, hostent* entry, char* buffer, std::size_t size, hostent** result,
                                  int* herror) noexcept {
  *result = nullptr;
  Lookup answer = lookup(name, AF_INET);
  if (answer.eai != 0) {
    *herror = answer.herror;
    return answer.error != 0 ? answer.error : 0;
  }
  if (int failed = fill_hostent(name, answer.addresses, entry, buffer, size); failed != 0) {
    *herror = NETDB_INTERNAL;
    return failed;
  }
  *result = entry;
  *herror = 0;
  return 0;
}

bool cooperates_for(const char* host) noexcept { return host != nullptr && cooperative() && !numeric_host(host); }

}  // namespace

void set_hooks_resolver(ResolverOptions options) {
  auto shared = std::make_shared<const ResolverOptions>(std::move(options));
  {
    std::lock_guard lock(resolver_mutex);
    resolver_options = std::move(shared);
    ++resolver_generation;
  }
  this_thread_resolver.resolver.reset();  // made again, from the new options, at the next lookup
}

}  // namespace spindle

extern "C" {

int getaddrinfo(const char* host, const char* service, const addrinfo* hints, addrinfo** result) {
  constexpr int unmodelled = AI_V4MAPPED | AI_ALL | AI_NUMERICHOST;
  if (!spindle::cooperates_for(host) || (hints != nullptr && (hints->ai_flags & unmodelled))) {
    return real().getaddrinfo(host, service, hints, result);
  }
  try {
    return spindle::getaddrinfo_cooperatively(host, service, hints, result);
  } catch (...) {  // vector growth
    return EAI_MEMORY;
  }
}

int gethostbyname_r(const char* name, hostent* entry, char* buffer, size_t size, hostent** result, int* herror) {
  if (!spindle::cooperates_for(name)) return real().gethostbyname_r(name, entry, buffer, size, result, herror);
  return spindle::gethostbyname_r_cooperatively(name, entry, buffer, size, result, herror);
}

hostent* gethostbyname(const char* name) {
  if (!spindle::cooperates_for(name)) return real().gethostbyname(name);
  // glibc's answer lives in static storage; a fiber's lives in its thread's, until that thread's next call.
  thread_local hostent entry;
  thread_local std::vector<char> storage(1024);
  for (;;) {
    hostent* result = nullptr;
    int herror = 0;
    int failed = spindle::gethostbyname_r_cooperatively(name, &entry, storage.data(), storage.size(), &result, &herror);
    if (failed == ERANGE && storage.size() < (1U << 20)) {
      storage.resize(storage.size() * 4);
      continue;
    }
    h_errno = herror;
    return result;
  }
}

}  // extern "C"
