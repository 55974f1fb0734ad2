// libgit2's functions, defined in loader.c as calls into libgit2.so opened on first use; their
// declarations are libgit2's own (<git2.h>, through the CLibGit2 module).
