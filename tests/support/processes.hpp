// Helpers for the process-executor tests: whether a process exists, and the children of a process
// (from /proc), to show that workers are gone and nothing is left as a zombie.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace spindle::test {

struct ChildProcess {
  pid_t pid;
  char state;  // 'Z' for a zombie
};

// The processes whose parent is `parent`, read from /proc/PID/stat.
inline std::vector<ChildProcess> children_of(pid_t parent) {
  std::vector<ChildProcess> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::string path = "/proc/" + std::string(entry->d_name) + "/stat";
    FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) continue;
    char line[512] = {};
    std::size_t got = std::fread(line, 1, sizeof line - 1, file);
    std::fclose(file);
    std::string text(line, got);
    std::size_t close = text.rfind(')');  // the command name may hold spaces and parentheses
    if (close == std::string::npos || close + 4 >= text.size()) continue;
    char state = text[close + 2];
    long ppid = std::strtol(text.c_str() + close + 4, nullptr, 10);
    if (ppid == parent) children.push_back({static_cast<pid_t>(pid), state});
  }
  ::closedir(proc);
  return children;
}

// Whether process `pid` exists (a zombie counts).
inline bool process_exists(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid);
  if (DIR* dir = ::opendir(path.c_str())) {
    ::closedir(dir);
    return true;
  }
  return false;
}

}  // namespace spindle::test
