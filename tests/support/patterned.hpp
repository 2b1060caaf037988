// Test data that is not one repeated byte, so lost, duplicated or reordered chunks show.
#pragma once

#include <cstddef>
#include <string>

namespace spindle::test {

inline std::string patterned(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 4093) % 26);
  return data;
}

}  // namespace spindle::test
