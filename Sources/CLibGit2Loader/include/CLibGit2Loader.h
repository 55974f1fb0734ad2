// libgit2's functions, defined in loader.c as calls into libgit2.so opened on first use; their
// declarations are libgit2's own (<git2.h>, through the CLibGit2 module).

#include <stddef.h>

/// `git_libgit2_opts(GIT_OPT_SET_EXTENSIONS, names, count)`: the repository extensions libgit2
/// may open (the option takes variable arguments, which Swift cannot pass).
int codex_state_git_allow_extensions(const char **names, size_t count);
