// The file a Unix stream listener bound, removed when the listener closes (Python 3.13's
// create_unix_server(cleanup_socket=True)).
//
// Only the file we made is removed: bind records its device and inode, and removal unlinks the
// path only while it still names that file (by lstat: the path itself, as unlink sees it). If
// another process has removed our file and bound its own socket at the path meanwhile, or the
// program has changed directory since binding a relative path, the path names a different file and
// is left alone. (A replacement between the check and the unlink is not detected; Python has the
// same window.)
#pragma once

#include <sys/types.h>

#include <string>

namespace spindle::detail {

class SocketFile {
 public:
  // Owns nothing: an abstract-namespace or TCP listener.
  SocketFile() = default;
  // Records the file now at `path`, which the caller has just bound. Throws IoError if stat fails.
  explicit SocketFile(std::string path);
  SocketFile(SocketFile&& other) noexcept;
  SocketFile& operator=(SocketFile&& other) noexcept;
  SocketFile(const SocketFile&) = delete;
  SocketFile& operator=(const SocketFile&) = delete;
  ~SocketFile() { remove(); }

  // Unlinks the path if it still names the recorded file, then owns nothing. A failure other than
  // "already gone" is reported through the diagnostic sink (a close cannot throw). Idempotent.
  void remove() noexcept;

 private:
  std::string path_;  // empty: owns nothing
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace spindle::detail
