#include <spindle/io/dns.hpp>

#include <spindle/io/detail/host_name.hpp>
#include <spindle/io/resolver.hpp>

namespace spindle {

std::vector<SocketAddress> resolve(std::string_view host, std::uint16_t port, ResolveOptions options) {
  // Literals and bad names need no channel, so none is set up for them.
  if (auto answer = detail::answer_without_dns(host, port, options.family)) return std::move(*answer);
  if (options.servers.empty() && options.tries == 0) {
    return Resolver::for_this_thread().resolve(host, port, options.family, options.timeout);
  }
  ResolverOptions own;
  own.servers = std::move(options.servers);
  if (options.tries > 0) own.tries = options.tries;
  return Resolver(std::move(own)).resolve(host, port, options.family, options.timeout);
}

}  // namespace spindle
