// Scripted DNS servers on 127.0.0.1 for the fault tests. SilentDns never answers. FakeDns answers
// REFUSED or SERVFAIL, or holds queries until the test releases them; it runs as a fiber of the
// test's own scheduler (real clock: under the virtual clock the lookups' deadlines would come
// before its answers). Positive lookups are tested against real dnsmasq (dnsmasq.hpp); this is only for what
// a real server cannot be made to do on cue.
#pragma once

#include <spindle/spindle.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace spindle::test {

// Binds `socket` to a free port on 127.0.0.1 and returns the address.
inline SocketAddress bind_loopback_udp(const FileDescriptor& socket) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("test dns server: cannot bind a UDP port on 127.0.0.1");
  }
  return SocketAddress::from_native(reinterpret_cast<sockaddr*>(&address), size);
}

// A bound UDP socket nobody reads: queries arrive and are never answered (and, unlike a closed
// port, draw no ICMP "port unreachable"). Works on the virtual clock: nothing waits on it.
class SilentDns {
 public:
  SilentDns()
      : socket_(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)), address_(bind_loopback_udp(socket_)) {}
  SocketAddress address() const { return address_; }
  // Datagrams received so far (consumes them).
  std::size_t drain() {
    std::size_t count = 0;
    char buffer[1024];
    while (::recv(socket_.get(), buffer, sizeof buffer, MSG_DONTWAIT) >= 0) ++count;
    return count;
  }

 private:
  FileDescriptor socket_;
  SocketAddress address_;
};

enum class FakeReply { hold, refused, server_failure, drop };

class FakeDns {
 public:
  // `policy` decides per question name; names in `answers` get an A record instead.
  FakeDns(std::function<FakeReply(const std::string&)> policy, std::map<std::string, std::string> answers = {})
      : policy_(std::move(policy)),
        answers_(std::move(answers)),
        socket_(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)),
        address_(bind_loopback_udp(socket_)),
        server_(spawn([this] { serve(); }, {.name = "fake dns"})) {}
  ~FakeDns() {
    server_.cancel();
    server_.wait();
  }
  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;

  SocketAddress address() const { return address_; }
  std::size_t queries() const { return queries_; }

  // Parks until `count` queries have arrived in all.
  void wait_for_queries(std::size_t count) {
    while (queries_ < count) arrivals_.wait("fake dns query");
  }
  // Answers the held queries for `name` with an A record for `ipv4`.
  void release(const std::string& name, const std::string& ipv4) {
    answers_[name] = ipv4;
    for (auto it = held_.begin(); it != held_.end();) {
      if (it->name == name) {
        reply(*it);
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  struct Query {
    std::vector<unsigned char> bytes;
    std::size_t question_end;
    std::string name;
    std::uint16_t type;
    SocketAddress from;
  };

  void serve() {
    std::vector<unsigned char> buffer(4096);
    for (;;) {
      sockaddr_storage from{};
      socklen_t from_size = sizeof from;
      ssize_t got = ::recvfrom(socket_.get(), buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from),
                               &from_size);
      if (got < 0) {
        if (errno != EAGAIN) throw std::runtime_error("fake dns: recvfrom failed");
        wait_readable(socket_.get());
        continue;
      }
      Query query{{buffer.begin(), buffer.begin() + got}, 0, "", 0,
                  SocketAddress::from_native(reinterpret_cast<sockaddr*>(&from), from_size)};
      if (!parse(query)) continue;
      ++queries_;
      arrivals_.wake_all();
      if (answers_.count(query.name) != 0) {
        reply(query);
        continue;
      }
      switch (policy_(query.name)) {
        case FakeReply::hold: held_.push_back(std::move(query)); break;
        case FakeReply::refused: reply(query, 5); break;
        case FakeReply::server_failure: reply(query, 2); break;
        case FakeReply::drop: break;
      }
    }
  }

  static bool parse(Query& query) {
    std::size_t at = 12;
    const auto& bytes = query.bytes;
    while (at < bytes.size() && bytes[at] != 0) {
      std::size_t length = bytes[at];
      if (at + 1 + length > bytes.size()) return false;
      if (!query.name.empty()) query.name += '.';
      query.name.append(reinterpret_cast<const char*>(&bytes[at + 1]), length);
      at += 1 + length;
    }
    if (at + 5 > bytes.size()) return false;
    query.type = static_cast<std::uint16_t>(bytes[at + 1] << 8 | bytes[at + 2]);
    query.question_end = at + 5;
    return true;
  }

  // The header and question of the query, with QR set and `rcode`; one A record when the name has
  // an answer and the question asks for A.
  void reply(const Query& query, int rcode = 0) {
    std::vector<unsigned char> out(query.bytes.begin(), query.bytes.begin() + query.question_end);
    out[2] = static_cast<unsigned char>(0x80 | (out[2] & 0x79));  // QR, opcode and RD kept
    out[3] = static_cast<unsigned char>(0x80 | rcode);            // RA
    out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
    auto answer = answers_.find(query.name);
    if (rcode == 0 && answer != answers_.end() && query.type == 1) {
      out[7] = 1;
      in_addr address{};
      ::inet_pton(AF_INET, answer->second.c_str(), &address);
      const unsigned char record[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
      out.insert(out.end(), std::begin(record), std::end(record));
      const auto* bytes = reinterpret_cast<const unsigned char*>(&address);
      out.insert(out.end(), bytes, bytes + 4);
    }
    ::sendto(socket_.get(), out.data(), out.size(), 0, query.from.native(), query.from.native_size());
  }

  std::function<FakeReply(const std::string&)> policy_;
  std::map<std::string, std::string> answers_;
  FileDescriptor socket_;
  SocketAddress address_;
  std::size_t queries_ = 0;
  WaitList arrivals_;
  std::vector<Query> held_;
  JoinHandle<void> server_;
};

}  // namespace spindle::test
