// Whether this process has left a child unreaped (a zombie). Other children (a test server, the
// process pool's zygote) may exist; what must never exist is a dead child nobody waited for.
#pragma once

#include "processes.hpp"

#include <unistd.h>

namespace spindle::test {

inline bool no_zombie_children() {
  for (const ChildProcess& child : children_of(::getpid())) {
    if (child.state == 'Z') return false;
  }
  return true;
}

}  // namespace spindle::test
