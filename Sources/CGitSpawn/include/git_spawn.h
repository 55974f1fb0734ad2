#ifndef CODEX_STATE_GIT_SPAWN_H
#define CODEX_STATE_GIT_SPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in directory `dir`, in a session of its own (no
/// controlling terminal; its process group is the new pid), with `in`, `out` and `err` as its
/// standard input, output and error and no other descriptor of the caller open, every signal at
/// its default and none blocked. Returns 0 and sets `*pid`, or an errno value.
int codex_state_git_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *dir,
                          int in, int out, int err);

/// pipe2(fds, O_CLOEXEC): 0, or -1 with errno set.
int codex_state_cloexec_pipe(int fds[2]);

#endif
