#include <spindle/io/resolver.hpp>

#include <spindle/io/detail/ares_channel.hpp>
#include <spindle/io/detail/host_name.hpp>

namespace spindle {

Resolver::Resolver(ResolverOptions options) : channel_(std::make_shared<detail::AresChannel>(options)) {}
Resolver::~Resolver() = default;
Resolver::Resolver(Resolver&&) noexcept = default;
Resolver& Resolver::operator=(Resolver&&) noexcept = default;

std::vector<SocketAddress> Resolver::resolve(std::string_view host, std::uint16_t port, int family,
                                             std::optional<Duration> timeout) {
  if (auto answer = detail::answer_without_dns(host, port, family)) return std::move(*answer);
  return channel_->resolve(host, port, family, timeout);
}

const std::string& Resolver::servers() const noexcept { return channel_->servers(); }
std::size_t Resolver::in_flight() const noexcept { return channel_->in_flight(); }
std::size_t Resolver::queued() const noexcept { return channel_->queued(); }

Resolver& Resolver::for_this_thread() {
  thread_local Resolver resolver;
  return resolver;
}

}  // namespace spindle
