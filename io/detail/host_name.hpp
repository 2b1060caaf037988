// Checks that a string can be a DNS host name before c-ares sees it, so a bad name fails at once
// with a message that says what is wrong, instead of c-ares's bare "Misformatted domain name" or a
// query for a name no server can hold.
#pragma once

#include <spindle/io/socket_address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spindle::detail {

// What makes `host` unusable as a host name ("it is 300 characters long; ..."), or nullopt. Accepts
// letters, digits, '-', '_' and dots between labels of 1 to 63 characters, 253 characters in all
// (one trailing dot, naming the root, is allowed on top).
std::optional<std::string> host_name_problem(std::string_view host);

// `host` quoted for a message, with control and non-ASCII bytes escaped and a long name shortened.
std::string quoted_host(std::string_view host);

// What resolve() can answer without DNS: a numeric literal's address. Throws
// std::invalid_argument for a family other than AF_UNSPEC, AF_INET, AF_INET6, DnsError(bad_name)
// for a name host_name_problem() rejects, DnsError(no_address) for a literal of the other family.
// nullopt: the name must be looked up.
std::optional<std::vector<SocketAddress>> answer_without_dns(std::string_view host, std::uint16_t port, int family);

}  // namespace spindle::detail
