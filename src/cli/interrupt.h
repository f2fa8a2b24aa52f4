// Ctrl-C (SIGINT) and SIGTERM as a request to stop cleanly, for the commands that must finish what
// they started: `scan --follow` ends its output, `produce` flushes what it accepted and says where to
// resume. The first signal sets Interrupted() and wakes an InterruptibleInput blocked on its file;
// with `second_signal_kills`, a second one ends the process at once (the default action).
//
// The state is process-wide (a signal handler has nothing else): one flag, the number of the signal,
// and a self-pipe that makes the signal visible to poll(2).
#pragma once

#include <array>
#include <streambuf>

namespace fluss::cli {

// Installs the handlers (idempotent) and ignores SIGPIPE (a closed pipe then shows as EPIPE).
void InstallInterruptHandlers(bool second_signal_kills);
// Whether SIGINT or SIGTERM arrived since InstallInterruptHandlers.
bool Interrupted();
// The exit code of a command ended by the signal: 128 + its number (130 for Ctrl-C).
int InterruptExitCode();

// A read-only streambuf over a file descriptor whose reads end (as end of input) when the process
// is interrupted, even while it waits on a terminal or a pipe that has no data. Check Interrupted()
// to tell that end from a real one; a line cut short by it is not a whole line.
class InterruptibleInput final : public std::streambuf {
 public:
  // Does not take ownership of fd.
  explicit InterruptibleInput(int fd) : fd_(fd) {}
  // errno of a failed read (0 when none): the input then ends early.
  int error() const { return error_; }

 protected:
  int_type underflow() override;

 private:
  int fd_;
  int error_ = 0;
  std::array<char, 64 * 1024> buffer_{};
};

}  // namespace fluss::cli
