#include "cli/interrupt.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace fluss::cli {
namespace {

std::atomic<int> g_signal{0};     // the first SIGINT/SIGTERM received, 0 before
int g_wake_pipe[2] = {-1, -1};    // written (one byte) by the handler; read end polled by inputs

extern "C" void OnInterrupt(int sig) {
  int expected = 0;
  g_signal.compare_exchange_strong(expected, sig);
  if (g_wake_pipe[1] >= 0) {
    const int saved = errno;
    const char byte = 1;
    (void)!::write(g_wake_pipe[1], &byte, 1);  // async-signal-safe; a full pipe is fine
    errno = saved;
  }
}

}  // namespace

void InstallInterruptHandlers(bool second_signal_kills) {
  if (g_wake_pipe[0] < 0 && ::pipe2(g_wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_wake_pipe[0] = g_wake_pipe[1] = -1;  // inputs then wake only by their own data
  }
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | (second_signal_kills ? SA_RESETHAND : 0);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool Interrupted() { return g_signal.load() != 0; }

int InterruptExitCode() { return 128 + g_signal.load(); }

InterruptibleInput::int_type InterruptibleInput::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  while (!Interrupted()) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {g_wake_pipe[0], POLLIN, 0}};
    const int n = ::poll(fds, g_wake_pipe[0] >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno;
      return traits_type::eof();
    }
    if (fds[0].revents == 0) continue;  // (the wake pipe: the loop condition ends it)
    const ssize_t got = ::read(fd_, buffer_.data(), buffer_.size());
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      error_ = errno;
      return traits_type::eof();
    }
    if (got == 0) return traits_type::eof();
    setg(buffer_.data(), buffer_.data(), buffer_.data() + got);
    return traits_type::to_int_type(*gptr());
  }
  return traits_type::eof();
}

}  // namespace fluss::cli
