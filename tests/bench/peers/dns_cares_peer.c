/* Peer for the DNS benchmark: plain C on c-ares 1.18, the way its documentation shows, with poll().
 * 10k lookups of distinct names (AF_INET) against DNS_SERVER, 100 in flight (each answer's
 * callback starts the next lookup), after 100 untimed warm-up lookups. Every answer is checked.
 *
 *   dns_cares_peer [--scale F] [--workload resolve]
 */
#include <ares.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { in_flight = 100 };

static ares_channel channel;
static const char* prefix;
static long total, started, finished;

static void start_next(void);

static void on_answer(void* arg, int status, int timeouts, struct ares_addrinfo* result) {
  (void)arg;
  (void)timeouts;
  char text[INET_ADDRSTRLEN] = "";
  if (status == ARES_SUCCESS && result->nodes != NULL && result->nodes->ai_next == NULL) {
    inet_ntop(AF_INET, &((struct sockaddr_in*)result->nodes->ai_addr)->sin_addr, text, sizeof text);
  }
  if (strcmp(text, "10.1.2.3") != 0) {
    fprintf(stderr, "wrong answer from dnsmasq: %s\n", ares_strerror(status));
    exit(1);
  }
  ares_freeaddrinfo(result);
  ++finished;
  start_next();
}

static void start_next(void) {
  if (started == total) return;
  char name[64];
  snprintf(name, sizeof name, "%s%ld.bench.test", prefix, started++);
  struct ares_addrinfo_hints hints = {.ai_family = AF_INET};
  ares_getaddrinfo(channel, name, NULL, &hints, on_answer, NULL);
}

static void run(const char* name_prefix, long count) {
  prefix = name_prefix;
  total = count;
  started = finished = 0;
  for (int i = 0; i < in_flight; ++i) start_next();
  while (finished < total) {
    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    int mask = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
    struct pollfd fds[ARES_GETSOCK_MAXNUM];
    int n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = (short)((ARES_GETSOCK_READABLE(mask, i) ? POLLIN : 0) | (ARES_GETSOCK_WRITABLE(mask, i) ? POLLOUT : 0));
      if (events != 0) fds[n++] = (struct pollfd){.fd = sockets[i], .events = events};
    }
    struct timeval wait;
    struct timeval* timeout = ares_timeout(channel, NULL, &wait);
    int ms = timeout == NULL ? -1 : (int)(timeout->tv_sec * 1000 + (timeout->tv_usec + 999) / 1000);
    int ready = poll(fds, (nfds_t)n, ms);
    if (ready <= 0) {
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      continue;
    }
    for (int i = 0; i < n; ++i) {
      ares_process_fd(channel, (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD,
                      (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD);
    }
  }
}

static double seconds_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  double scale = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
      scale = atof(argv[++i]);
    } else if (strcmp(argv[i], "--workload") == 0 && i + 1 < argc && strcmp(argv[i + 1], "resolve") == 0) {
      ++i;
    } else {
      fprintf(stderr, "usage: %s [--scale F] [--workload resolve]\n", argv[0]);
      return 2;
    }
  }
  const char* server = getenv("DNS_SERVER");
  if (server == NULL) {
    fprintf(stderr, "DNS_SERVER is not set: run under with_dnsmasq\n");
    return 2;
  }
  long count = (long)(10000 * scale);
  if (count < 1) count = 1;
  ares_library_init(ARES_LIB_INIT_ALL);
  if (ares_init(&channel) != ARES_SUCCESS || ares_set_servers_ports_csv(channel, server) != ARES_SUCCESS) {
    fprintf(stderr, "c-ares setup failed\n");
    return 1;
  }
  run("warm", 100);
  double start = seconds_now();
  double cpu_start = cpu_seconds();
  run("n", count);
  double seconds = seconds_now() - start;
  double cpu = cpu_seconds() - cpu_start;
  printf("metric=resolve_total value=%.3f unit=ms\n", seconds * 1e3);
  printf("metric=resolve_per_lookup value=%.3f unit=us\n", seconds * 1e6 / (double)count);
  printf("metric=resolve_cpu_per_lookup value=%.3f unit=us\n", cpu * 1e6 / (double)count);
  ares_destroy(channel);
  ares_library_cleanup();
  return 0;
}
