// Why the resolver reads the hosts file itself.
//
// c-ares 1.18 opens, reads and parses /etc/hosts for every lookup before it asks a server: five
// syscalls and a parse per name, a quarter of a loopback lookup's CPU in the DNS benchmark (glibc
// does the same). The file rarely changes, so it is parsed once into a map and re-parsed when a
// stat says it changed, and c-ares is told to skip it (lookups "b"). The answer is what c-ares
// gave: every matching line's address in file order, names and aliases matched without case.
#include <spindle/io/detail/hosts_file.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace spindle::detail {
namespace {

std::string lowered(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), [](unsigned char c) { return std::tolower(c); });
  return result;
}

// An address field of the file, or an empty address (AF_UNSPEC) if it is not one.
SocketAddress parse_address(const std::string& text) {
  sockaddr_in ipv4{};
  if (::inet_pton(AF_INET, text.c_str(), &ipv4.sin_addr) == 1) {
    ipv4.sin_family = AF_INET;
    return SocketAddress::from_native(reinterpret_cast<const sockaddr*>(&ipv4), sizeof ipv4);
  }
  sockaddr_in6 ipv6{};
  std::string bare = text.substr(0, text.find('%'));  // a zone index is not carried
  if (::inet_pton(AF_INET6, bare.c_str(), &ipv6.sin6_addr) == 1) {
    ipv6.sin6_family = AF_INET6;
    return SocketAddress::from_native(reinterpret_cast<const sockaddr*>(&ipv6), sizeof ipv6);
  }
  return {};
}

}  // namespace

std::vector<SocketAddress> HostsFile::addresses(std::string_view name, int family) {
  struct stat now {};
  bool readable = ::stat(path_.c_str(), &now) == 0;
  std::lock_guard lock(mutex_);
  if (!readable) {
    entries_.clear();
    loaded_ = false;
    return {};
  }
  if (!loaded_ || now.st_ino != seen_.st_ino || now.st_dev != seen_.st_dev || now.st_size != seen_.st_size ||
      now.st_mtim.tv_sec != seen_.st_mtim.tv_sec || now.st_mtim.tv_nsec != seen_.st_mtim.tv_nsec) {
    load();
    seen_ = now;
    loaded_ = true;
  }
  auto found = entries_.find(lowered(name));
  if (found == entries_.end()) return {};
  std::vector<SocketAddress> addresses;
  for (const SocketAddress& address : found->second) {
    if (family == AF_UNSPEC || address.family() == family) addresses.push_back(address);
  }
  return addresses;
}

void HostsFile::load() {
  entries_.clear();
  std::ifstream file(path_);
  std::string line;
  while (std::getline(file, line)) {
    line.erase(std::min(line.find('#'), line.size()));
    std::size_t at = 0;
    auto next_field = [&]() -> std::string {
      at = line.find_first_not_of(" \t\r", at);
      if (at == std::string::npos) return {};
      std::size_t end = std::min(line.find_first_of(" \t\r", at), line.size());
      std::string field = line.substr(at, end - at);
      at = end;
      return field;
    };
    SocketAddress address = parse_address(next_field());
    if (!address.is_ip()) continue;
    for (std::string name = next_field(); !name.empty(); name = next_field()) {
      std::vector<SocketAddress>& listed = entries_[lowered(name)];
      if (std::find(listed.begin(), listed.end(), address) == listed.end()) listed.push_back(address);
    }
  }
}

HostsFile& system_hosts_file() {
  static HostsFile file("/etc/hosts");
  return file;
}

}  // namespace spindle::detail
