// The whole public API of spindle in one include.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/diagnostics.hpp>
#include <spindle/fibers/doorbell.hpp>
#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/fd_wait.hpp>
#include <spindle/fibers/introspect.hpp>
#include <spindle/fibers/join_handle.hpp>
#include <spindle/fibers/options.hpp>
#include <spindle/fibers/park.hpp>
#include <spindle/fibers/remote_scheduler.hpp>
#include <spindle/fibers/scheduler.hpp>
#include <spindle/fibers/spawn.hpp>
#include <spindle/fibers/this_fiber.hpp>
#include <spindle/fibers/timer.hpp>
#include <spindle/fibers/wait_list.hpp>

#include <spindle/io/errors.hpp>
#include <spindle/io/file.hpp>
#include <spindle/io/file_descriptor.hpp>
#include <spindle/io/signals.hpp>
#include <spindle/io/subprocess.hpp>
#include <spindle/io/subprocess_pipe.hpp>
#include <spindle/io/socket_address.hpp>

#include <spindle/compat/barrier.hpp>
#include <spindle/compat/concurrent_future.hpp>
#include <spindle/compat/condition.hpp>
#include <spindle/compat/errors.hpp>
#include <spindle/compat/event.hpp>
#include <spindle/compat/future.hpp>
#include <spindle/compat/gather.hpp>
#include <spindle/compat/lock.hpp>
#include <spindle/compat/loop.hpp>
#include <spindle/compat/queue.hpp>
#include <spindle/compat/runner.hpp>
#include <spindle/compat/semaphore.hpp>
#include <spindle/compat/shield.hpp>
#include <spindle/compat/sleep.hpp>
#include <spindle/compat/subprocess.hpp>
#include <spindle/compat/task.hpp>
#include <spindle/compat/task_group.hpp>
#include <spindle/compat/timeout.hpp>
#include <spindle/compat/wait.hpp>
