// The hosts file (/etc/hosts), parsed once and re-read only when it changes.
#pragma once

#include <spindle/io/socket_address.hpp>

#include <sys/stat.h>

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spindle::detail {

// One hosts file's entries. Thread-safe; never parks; lookups throw only std::bad_alloc.
class HostsFile {
 public:
  explicit HostsFile(std::string path) : path_(std::move(path)) {}

  // The addresses the file lists for `name` (compared without regard to case, aliases included),
  // in the file's order, with port 0: IPv4 and IPv6 for AF_UNSPEC, else only `family`'s. Empty
  // when the name is not listed for that family or the file cannot be read. Checks the file's
  // identity, size and modification time on every call (one stat) and re-parses it when any
  // changed.
  std::vector<SocketAddress> addresses(std::string_view name, int family);

 private:
  void load();

  const std::string path_;
  std::mutex mutex_;
  bool loaded_ = false;
  struct stat seen_ {};
  std::unordered_map<std::string, std::vector<SocketAddress>> entries_;
};

// The process's /etc/hosts.
HostsFile& system_hosts_file();

}  // namespace spindle::detail
