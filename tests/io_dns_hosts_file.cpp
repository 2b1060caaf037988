// The resolver's hosts-file cache: what it answers, and that an edited file is read again.
#include <spindle/io/detail/hosts_file.hpp>

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using spindle::SocketAddress;
using spindle::detail::HostsFile;

namespace {

// A hosts file of the test's own in a fresh temporary directory, removed at the end.
class TempHostsFile {
 public:
  TempHostsFile() {
    char directory[] = "/tmp/spindle-hosts-XXXXXX";
    REQUIRE(::mkdtemp(directory) != nullptr);
    directory_ = directory;
    path_ = directory_ + "/hosts";
  }
  ~TempHostsFile() {
    ::unlink(path_.c_str());
    ::rmdir(directory_.c_str());
  }
  void write(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }
  const std::string& path() const { return path_; }

 private:
  std::string directory_;
  std::string path_;
};

std::vector<std::string> hosts(const std::vector<SocketAddress>& addresses) {
  std::vector<std::string> result;
  for (const SocketAddress& address : addresses) result.push_back(address.host());
  return result;
}

}  // namespace

TEST_CASE("names, aliases and families answer in file order, without case", "[io][dns]") {
  TempHostsFile file;
  file.write("# a comment line\n"
             "10.0.0.1   Alpha alpha.example   # trailing comment\n"
             "fd00::1\talpha\n"
             "10.0.0.2 alpha\n"
             "not-an-address beta\n"
             "10.0.0.1 alpha\n");  // repeated: listed once
  HostsFile hosts_file(file.path());
  CHECK(hosts(hosts_file.addresses("alpha", AF_UNSPEC)) == std::vector<std::string>{"10.0.0.1", "fd00::1", "10.0.0.2"});
  CHECK(hosts(hosts_file.addresses("ALPHA", AF_INET)) == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
  CHECK(hosts(hosts_file.addresses("alpha", AF_INET6)) == std::vector<std::string>{"fd00::1"});
  CHECK(hosts(hosts_file.addresses("Alpha.Example", AF_INET)) == std::vector<std::string>{"10.0.0.1"});
  CHECK(hosts_file.addresses("alpha.example", AF_INET6).empty());
  CHECK(hosts_file.addresses("beta", AF_UNSPEC).empty());
  CHECK(hosts_file.addresses("comment", AF_UNSPEC).empty());
  CHECK(hosts_file.addresses("alpha", AF_INET)[0].port() == 0);
}

TEST_CASE("an edited hosts file is read again; a missing one answers nothing", "[io][dns]") {
  TempHostsFile file;
  file.write("10.0.0.1 gamma\n");
  HostsFile hosts_file(file.path());
  CHECK(hosts(hosts_file.addresses("gamma", AF_INET)) == std::vector<std::string>{"10.0.0.1"});
  file.write("10.0.0.9 gamma delta\n");  // a different size: seen even within one timestamp tick
  CHECK(hosts(hosts_file.addresses("gamma", AF_INET)) == std::vector<std::string>{"10.0.0.9"});
  CHECK(hosts(hosts_file.addresses("delta", AF_INET)) == std::vector<std::string>{"10.0.0.9"});
  ::unlink(file.path().c_str());
  CHECK(hosts_file.addresses("gamma", AF_INET).empty());
  file.write("10.0.0.3 gamma\n");
  CHECK(hosts(hosts_file.addresses("gamma", AF_INET)) == std::vector<std::string>{"10.0.0.3"});
}
